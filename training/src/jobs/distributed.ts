import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Params, truncateText } from "@mlops/contracts";
import {
  fileErrorReason,
  JsonFileError,
  readJsonFile,
  writeFileAtomically,
} from "@mlops/contracts/files";
import type { RandomForestJSON } from "@mlops/models";
import { z } from "zod";
import { forestParamsRecord } from "../artifact.js";
import { type Dataset, loadDataset, takeRows } from "../dataset.js";
import { OptionError } from "../errors.js";
import { fitForest } from "../forest/fit.js";
import { mergeForests } from "../forest/merge.js";
import { type ForestParams, resolveForestOptions } from "../forest/options.js";
import { createTrainingPool } from "../forest/pool.js";

/** This node's place in a distributed job. */
export interface NodeRank {
  readonly rank: number;
  readonly worldSize: number;
}

/** Why a node reads RANK and WORLD_SIZE, appended to every complaint about them. */
const DISTRIBUTED = "a forest share runs as a node of a distributed job";

/** An environment variable holding an integer ≥ `min`. */
const envInteger = (min: number) =>
  z
    .string({ error: `must be set to an integer ≥ ${min}` })
    .regex(/^\d+$/, { error: `must be an integer ≥ ${min}` })
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min, { error: `must be an integer ≥ ${min}` });

const RankEnvSchema = z.object({ RANK: envInteger(0), WORLD_SIZE: envInteger(1) });

/**
 * The rank and world size Azure ML sets on each node of a distributed command job (`RANK`,
 * `WORLD_SIZE`; with the PyTorch distribution and one process per instance, RANK is the node's
 * index and WORLD_SIZE the number of nodes). Errors name the variable at fault and its rule.
 */
export function nodeRankFromEnv(env: Readonly<Record<string, string | undefined>>): NodeRank {
  const parsed = RankEnvSchema.safeParse({ RANK: env.RANK, WORLD_SIZE: env.WORLD_SIZE });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path[0] === "WORLD_SIZE" ? "WORLD_SIZE" : "RANK";
    throw new OptionError(
      variable,
      `${issue?.message ?? "is invalid"}: ${DISTRIBUTED}`,
      env[variable],
    );
  }
  const { RANK: rank, WORLD_SIZE: worldSize } = parsed.data;
  if (rank >= worldSize) {
    throw new OptionError(
      "RANK",
      `must be below WORLD_SIZE (${worldSize}): ${DISTRIBUTED}`,
      env.RANK,
    );
  }
  return { rank, worldSize };
}

/**
 * The trees node `rank` of `worldSize` trains: a contiguous, balanced slice of 0..nTrees-1, so the
 * slices in rank order are the whole forest (each tree is seeded by its index, not its node).
 */
export function shareRange(
  { rank, worldSize }: NodeRank,
  nTrees: number,
): { from: number; to: number } {
  if (worldSize > nTrees) {
    throw new OptionError(
      "WORLD_SIZE",
      `must not exceed --trees (${nTrees}): each node of the job trains at least one tree`,
      worldSize,
    );
  }
  return {
    from: Math.floor((rank * nTrees) / worldSize),
    to: Math.floor(((rank + 1) * nTrees) / worldSize),
  };
}

/** What one node trains: the same data, split and forest options on every node. */
export interface ShareJobInput {
  readonly data: string;
  readonly label: string;
  readonly trees: number;
  readonly seed: number;
  /** @default 1 */
  readonly threads?: number;
  readonly node: NodeRank;
  /** The folder every node writes its share into (the job's shared output). */
  readonly out: string;
}

/**
 * What a share was trained on and with, recorded in its file: the merge refuses shares whose
 * record differs from the data and flags of its own call, so a forest is never registered under
 * data (and lineage) it was not trained on.
 */
export interface ShareProvenance {
  /** SHA-256 of the data file's bytes, as the run's `mlops.data_hash` tag records it. */
  readonly dataHash: string;
  /** The label column. */
  readonly label: string;
  /** The feature columns, in the order the trees index them. */
  readonly features: readonly string[];
  /** The classes, in the order the trees' votes index them. */
  readonly classes: readonly string[];
  /** Where the training rows came from: the file's split column or the seeded stratified split. */
  readonly split: Dataset["splitSource"];
  /** The forest's hyperparameters as tracked (`forestParamsRecord`): trees, seed and the rest. */
  readonly params: Params;
}

/** The record of a forest with `params` trained on `dataset`, as shares store it. */
export function shareProvenance(dataset: Dataset, params: ForestParams): ShareProvenance {
  return {
    dataHash: dataset.sha256,
    label: dataset.labelName,
    features: [...dataset.featureNames],
    classes: [...dataset.classNames],
    split: dataset.splitSource,
    params: forestParamsRecord(params),
  };
}

const ProvenanceSchema = z.object({
  dataHash: z.string(),
  label: z.string(),
  features: z.array(z.string()),
  classes: z.array(z.string()),
  split: z.enum(["column", "stratified"]),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

const ShareFileSchema = z.object({
  rank: z.number().int().min(0),
  worldSize: z.number().int().min(1),
  trees: z.object({ from: z.number().int(), to: z.number().int() }),
  trainedOn: ProvenanceSchema,
  model: z.object({ name: z.literal("RFClassifier"), baseModel: z.looseObject({}) }),
});

const shareFile = (rank: number) => `share-${String(rank).padStart(4, "0")}.json`;

/**
 * Trains this node's share of the forest on the dataset's training part (the seeded split is the
 * same on every node) and writes `share-<rank>.json` into `out`, with the record of what it was
 * trained on and with ({@link ShareProvenance}), renamed into place only when complete so the
 * merge never reads half a file.
 */
export async function runShareJob(input: ShareJobInput): Promise<{ file: string; trees: number }> {
  const options = resolveForestOptions({ nEstimators: input.trees, seed: input.seed });
  const range = shareRange(input.node, options.nEstimators);
  const dataset = await loadDataset(input.data, { label: input.label, seed: input.seed });
  const threads = input.threads ?? 1;
  const pool = threads > 1 ? createTrainingPool(threads) : undefined;
  const fit = await fitForest(takeRows(dataset, dataset.split.train), options, {
    treeRange: range,
    pool,
  }).finally(() => pool?.close());
  const file = join(input.out, shareFile(input.node.rank));
  await writeFileAtomically(
    file,
    JSON.stringify({
      rank: input.node.rank,
      worldSize: input.node.worldSize,
      trees: range,
      trainedOn: shareProvenance(dataset, options),
      model: fit.model,
    }),
  );
  return { file, trees: fit.nTrees };
}

/** An error of `--from-shares` (the folder a merge reads) with the rule it broke. */
const sharesError = (rule: string, value?: unknown) =>
  new OptionError("--from-shares", rule, value);

/** The flag a tracked forest param is set with, for messages. */
const PARAM_FLAGS: Readonly<Record<string, string>> = { n_estimators: "--trees", seed: "--seed" };

/** A list in a message: its length and its first items. */
function listed(items: readonly string[]): string {
  const shown = items.slice(0, 8).map((item) => JSON.stringify(truncateText(item, 40)));
  return `${items.length}: ${shown.join(", ")}${items.length > shown.length ? ", …" : ""}`;
}

/** A data hash in a message: its first hex digits, enough to tell two apart. */
const shortHash = (hash: string) => `sha256 ${hash.slice(0, 12)}…`;

/** How a share's record differs from this call's, one phrase per difference (none: it matches). */
export function provenanceDifferences(share: ShareProvenance, expected: ShareProvenance): string[] {
  const differences: string[] = [];
  const differing = (what: string, theirs: string, ours: string) =>
    differences.push(`${what} (the share's ${theirs}, this call's ${ours})`);
  const differ = (what: string, theirs: string, ours: string) => {
    if (theirs !== ours) differing(what, theirs, ours);
  };
  const keys = [...new Set([...Object.keys(expected.params), ...Object.keys(share.params)])];
  for (const key of keys) {
    differ(PARAM_FLAGS[key] ?? key, String(share.params[key]), String(expected.params[key]));
  }
  // Compared whole: two hashes may share the digits a message shows.
  if (share.dataHash !== expected.dataHash) {
    differing("--data", shortHash(share.dataHash), shortHash(expected.dataHash));
  }
  differ("--label", JSON.stringify(share.label), JSON.stringify(expected.label));
  differ("split", share.split, expected.split);
  for (const what of ["features", "classes"] as const) {
    const [theirs, ours] = [share[what], expected[what]];
    const at = Array.from({ length: Math.max(theirs.length, ours.length) }, (_, i) => i).find(
      (i) => theirs[i] !== ours[i],
    );
    if (at !== undefined) {
      differences.push(
        `${what} (the share's ${listed(theirs)}; this call's ${listed(ours)}; first different at position ${at + 1})`,
      );
    }
  }
  return differences;
}

/** The names of the share files in `dir`, sorted; errors name --from-shares and why. */
async function shareNames(dir: string): Promise<string[]> {
  const rule = "must be a folder holding the share-<rank>.json files of mlops forest share";
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw sharesError(`${rule} (it is a file)`, dir);
    names = await readdir(dir);
  } catch (error) {
    if (error instanceof OptionError) throw error;
    throw sharesError(`${rule} (${fileErrorReason(error)})`, dir);
  }
  const shares = names.filter((n) => /^share-\d{4}\.json$/.test(n)).sort();
  if (shares.length === 0) throw sharesError(`${rule} (it holds none)`, dir);
  return shares;
}

/** One share file, checked against its schema; errors name --from-shares and the file. */
async function readShare(path: string): Promise<z.infer<typeof ShareFileSchema>> {
  let json: unknown;
  try {
    json = await readJsonFile(path);
  } catch (error) {
    if (error instanceof JsonFileError) throw sharesError(error.message);
    throw error;
  }
  const parsed = ShareFileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const old =
    typeof json === "object" && json !== null && "model" in json && !("trainedOn" in json);
  if (old) {
    throw sharesError(
      `${path}: has no record of the data and flags it was trained with (written by an older mlops forest share), so it cannot be checked against this call: run mlops forest share again`,
    );
  }
  const issue = parsed.error.issues[0];
  throw sharesError(
    `${path}: is not a share of mlops forest share (${issue?.path.join(".") || "the file"}: ${issue?.message})`,
  );
}

/**
 * Joins the shares in `dir` into one forest with {@link mergeForests}, in rank order. Each share
 * must have been trained on the data and with the flags `expected` records (see
 * {@link shareProvenance}); every rank of the world size must be present exactly once and the
 * tree ranges must tile 0..n-1. Otherwise an {@link OptionError} of `--from-shares` names the
 * folder or share at fault and what differs.
 */
export async function mergeShareFiles(
  dir: string,
  expected: ShareProvenance,
): Promise<RandomForestJSON> {
  const names = await shareNames(dir);
  const shares = await Promise.all(names.map((name) => readShare(join(dir, name))));
  shares.forEach((share, i) => {
    const differences = provenanceDifferences(share.trainedOn, expected);
    if (differences.length > 0) {
      throw sharesError(
        `must hold shares trained on this call's data and flags: ${join(dir, names[i]!)} differs in ${differences.join("; ")}`,
      );
    }
  });
  const worldSize = shares[0]!.worldSize;
  let next = 0;
  shares.forEach((share, i) => {
    if (share.worldSize !== worldSize || share.rank !== i || share.trees.from !== next) {
      throw sharesError(
        `${join(dir, names[i]!)}: expected rank ${i} of ${worldSize} starting at tree ${next} (got rank ${share.rank} of ${share.worldSize} from tree ${share.trees.from})`,
      );
    }
    next = share.trees.to;
  });
  if (shares.length !== worldSize) {
    throw sharesError(
      `must hold all ${worldSize} shares of the forest: ${dir} holds ${shares.length}, and rank ${shares.length} (${shareFile(shares.length)}) is missing`,
    );
  }
  const models = shares.map((s) => s.model as unknown as RandomForestJSON);
  try {
    return mergeForests(models);
  } catch (error) {
    const part = error instanceof OptionError ? /^parts\[(\d+)\]$/.exec(error.option) : null;
    if (!part) throw error;
    throw sharesError(
      `${join(dir, names[Number(part[1])]!)}: must have the features, tree options, seed and bagging of ${join(dir, names[0]!)}`,
    );
  }
}
