import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomically } from "@mlops/contracts/files";
import { ArtifactError, type RandomForestJSON } from "@mlops/models";
import { z } from "zod";
import { loadDataset, takeRows } from "../dataset.js";
import { OptionError } from "../errors.js";
import { fitForest } from "../forest/fit.js";
import { mergeForests } from "../forest/merge.js";
import { resolveForestOptions } from "../forest/options.js";
import { createTrainingPool } from "../forest/pool.js";

/** This node's place in a distributed job. */
export interface NodeRank {
  readonly rank: number;
  readonly worldSize: number;
}

const RankEnvSchema = z
  .object({
    RANK: z.string().regex(/^\d+$/, { error: "must be an integer ≥ 0" }).transform(Number),
    WORLD_SIZE: z.string().regex(/^\d+$/, { error: "must be an integer ≥ 1" }).transform(Number),
  })
  .refine((e) => e.WORLD_SIZE >= 1 && e.RANK < e.WORLD_SIZE, {
    error: "RANK must be below WORLD_SIZE (and WORLD_SIZE ≥ 1)",
  });

/**
 * The rank and world size Azure ML sets on each node of a distributed command job (`RANK`,
 * `WORLD_SIZE`; with the PyTorch distribution and one process per instance, RANK is the node's
 * index and WORLD_SIZE the number of nodes).
 */
export function nodeRankFromEnv(env: Readonly<Record<string, string | undefined>>): NodeRank {
  const parsed = RankEnvSchema.safeParse({ RANK: env.RANK, WORLD_SIZE: env.WORLD_SIZE });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OptionError(
      issue?.path.join(".") || "RANK",
      `${issue?.message ?? "is invalid"}: a forest share runs as a node of a distributed job`,
      issue?.path[0] === "WORLD_SIZE" ? env.WORLD_SIZE : env.RANK,
    );
  }
  return { rank: parsed.data.RANK, worldSize: parsed.data.WORLD_SIZE };
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
      "--instances",
      `must not exceed the number of trees (${nTrees})`,
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

const ShareFileSchema = z.object({
  rank: z.number().int().min(0),
  worldSize: z.number().int().min(1),
  trees: z.object({ from: z.number().int(), to: z.number().int() }),
  model: z.object({ name: z.literal("RFClassifier"), baseModel: z.looseObject({}) }),
});

const shareFile = (rank: number) => `share-${String(rank).padStart(4, "0")}.json`;

/**
 * Trains this node's share of the forest on the dataset's training part (the seeded split is the
 * same on every node) and writes `share-<rank>.json` into `out`, renamed into place only when
 * complete so the merge never reads half a file.
 */
export async function runShareJob(input: ShareJobInput): Promise<{ file: string; trees: number }> {
  const dataset = await loadDataset(input.data, { label: input.label, seed: input.seed });
  const options = resolveForestOptions({ nEstimators: input.trees, seed: input.seed });
  const range = shareRange(input.node, options.nEstimators);
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
      model: fit.model,
    }),
  );
  return { file, trees: fit.nTrees };
}

/**
 * Joins the shares in `dir` into one forest with {@link mergeForests}, in rank order. Every rank
 * of the world size must be present exactly once and the tree ranges must tile 0..n-1; otherwise
 * an {@link ArtifactError} says which share is missing or out of place.
 */
export async function mergeShareFiles(dir: string): Promise<RandomForestJSON> {
  const names = (await readdir(dir)).filter((n) => /^share-\d{4}\.json$/.test(n)).sort();
  if (names.length === 0) throw new ArtifactError(`${dir} holds no share-<rank>.json files`);
  const shares = await Promise.all(
    names.map(async (name) => {
      const parsed = ShareFileSchema.safeParse(JSON.parse(await readFile(join(dir, name), "utf8")));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ArtifactError(`${join(dir, name)}: ${issue?.path.join(".")} ${issue?.message}`);
      }
      return parsed.data;
    }),
  );
  const worldSize = shares[0]!.worldSize;
  let next = 0;
  shares.forEach((share, i) => {
    if (share.worldSize !== worldSize || share.rank !== i || share.trees.from !== next) {
      throw new ArtifactError(
        `${join(dir, names[i]!)}: expected rank ${i} of ${worldSize} starting at tree ${next} (got rank ${share.rank} of ${share.worldSize} from tree ${share.trees.from})`,
      );
    }
    next = share.trees.to;
  });
  if (shares.length !== worldSize) {
    throw new ArtifactError(
      `${dir} holds ${shares.length} of ${worldSize} shares: rank ${shares.length} is missing`,
    );
  }
  return mergeForests(shares.map((s) => s.model as unknown as RandomForestJSON));
}
