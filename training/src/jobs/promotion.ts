import { CHALLENGER, CHAMPION, type ModelVersion } from "@mlops/contracts";
import { loadClassifierModel, readArtifact } from "@mlops/models";
import { type Store, StoreConflictError } from "@mlops/store";
import { metricsRecord } from "../artifact.js";
import { type Dataset, MIN_ROWS_PER_CLASS, takeRows } from "../dataset.js";
import { OptionError } from "../errors.js";
import { classificationMetrics } from "../metrics.js";
import { heldOutRows, recordedSeed } from "./held-out.js";

/** Metrics a promotion may be judged on; for these two lower is better, for the rest higher. */
const LOWER_IS_BETTER = new Set(["log_loss", "brier"]);
export const PROMOTION_METRICS = [
  "accuracy",
  "balanced_accuracy",
  "precision",
  "recall",
  "f1",
  "roc_auc",
  "log_loss",
  "brier",
] as const;

/** `--auto-promote`: the gate a new version must pass to become `challenger`. */
export interface PromotionGate {
  /** One of {@link PROMOTION_METRICS}. */
  readonly metric: string;
  /** The bar: metric ≥ threshold (≤ for log_loss and brier). */
  readonly threshold: number;
}

/**
 * The champion against the candidate, both scored on the same rows: those both held out of their
 * training (`basis: "both-held-out"`), or, where those are unknown or too few, the candidate's
 * held-out rows (`"candidate-held-out"`), some of which the champion may have trained on: its
 * score can only be flattered there, so a candidate that is not worse has earned the move.
 */
export interface ChampionComparison {
  readonly version: number;
  /** The champion's value of the metric on `rows`. */
  readonly value: number;
  /** The candidate's value of the metric on the same rows. */
  readonly candidate_value: number;
  /** How many rows the two were scored on. */
  readonly rows: number;
  readonly basis: "both-held-out" | "candidate-held-out";
  /** Why the basis is the candidate's rows alone; null on rows both held out. */
  readonly note: string | null;
}

/** What was decided, and why; recorded on the run. */
export interface PromotionDecision {
  readonly promoted: boolean;
  readonly reason: string;
  /** The comparison with the champion, when there is one and it could be made. */
  readonly champion: ChampionComparison | null;
}

/** Checks a gate; throws {@link OptionError} naming `metric` or `threshold`. */
export function checkGate(gate: PromotionGate): void {
  if (!(PROMOTION_METRICS as readonly string[]).includes(gate.metric)) {
    throw new OptionError("metric", `must be one of ${PROMOTION_METRICS.join(", ")}`, gate.metric);
  }
  if (!Number.isFinite(gate.threshold)) {
    throw new OptionError("threshold", "must be a finite number", gate.threshold);
  }
}

/** A registered version, or an {@link OptionError} naming `model`. */
async function registered(store: Store, name: string, version: number): Promise<ModelVersion> {
  const record = await store.models.get(name, version);
  if (record === null)
    throw new OptionError("model", "is not a registered version", `${name}@${version}`);
  return record;
}

/**
 * A registered classifier's metrics on `rows` of `dataset`, or null when it takes other features
 * or classes than the dataset has (then it cannot be scored on these rows).
 */
export async function metricsOnRows(
  version: ModelVersion,
  dataset: Dataset,
  rows: Int32Array,
): Promise<Record<string, number> | null> {
  const artifact = await readArtifact(version.artifact);
  const schema = artifact.manifest.feature_schema;
  const same =
    schema.kind === "classifier" &&
    schema.features.map((f) => f.name).join("\u0000") === dataset.featureNames.join("\u0000") &&
    schema.classes.join("\u0000") === dataset.classNames.join("\u0000");
  if (!same) return null;
  const test = takeRows(dataset, rows);
  const { predictor } = loadClassifierModel(artifact);
  return metricsRecord(
    classificationMetrics(
      test.y,
      predictor.predict(test.x),
      predictor.predictProbabilities(test.x),
      dataset.classNames.length,
    ),
  );
}

/**
 * Fewest rows of each class the rows both versions held out must hold to compare them on: every
 * gate metric needs each class present (recall, balanced accuracy and ROC AUC are not defined
 * without it), and at training's own bar per class (MIN_ROWS_PER_CLASS) one row moves a class's
 * recall by at most 1/5.
 */
export const MIN_SHARED_ROWS_PER_CLASS = MIN_ROWS_PER_CLASS;

/** The rows in both ascending row lists, ascending. */
function sharedRows(a: Int32Array, b: Int32Array): Int32Array {
  const inB = new Set(b);
  return a.filter((row) => inB.has(row));
}

/** `--seed N` as a version records it, for messages. */
function seedOf(version: ModelVersion): string {
  const seed = recordedSeed(version);
  return seed === null ? "no recorded seed" : `--seed ${seed}`;
}

/** Why the rows both held out are too few to judge on, or null when each class has enough. */
function tooFew(dataset: Dataset, rows: Int32Array): string | null {
  const counts = dataset.classNames.map(() => 0);
  for (const row of rows) counts[dataset.y[row]]++;
  const short = dataset.classNames.flatMap((className, k) =>
    counts[k] < MIN_SHARED_ROWS_PER_CLASS ? [`${JSON.stringify(className)} ${counts[k]}`] : [],
  );
  return short.length === 0
    ? null
    : `each class needs ${MIN_SHARED_ROWS_PER_CLASS} (${short.join(", ")})`;
}

/**
 * The candidate and the champion scored on the same rows: those both held out of their training
 * (a split column makes those the same rows; seeded splits of one file share about
 * TEST_FRACTION² of it), so neither is scored on rows it trained on. Where the champion's
 * held-out rows are unknown (it was trained on another file) or the shared rows are too few, on
 * the candidate's held-out rows, noting that the champion may have trained on some of them.
 * A reason instead where no comparison can be made.
 */
async function compareWithChampion(
  store: Store,
  name: string,
  version: number,
  championVersion: number,
  dataset: Dataset,
  metric: string,
): Promise<{ readonly comparison: ChampionComparison } | { readonly reason: string }> {
  const candidate = await registered(store, name, version);
  const champion = await registered(store, name, championVersion);
  const mine = heldOutRows(candidate, dataset);
  if (mine.rows === null) return { reason: `its held-out rows are unknown: ${mine.unknown}` };
  const theirs = heldOutRows(champion, dataset);
  let rows = mine.rows;
  let note: string | null;
  if (theirs.rows === null) {
    note = `champion v${championVersion} may have trained on some of these rows (${theirs.unknown}): its score may be flattered`;
  } else {
    const shared = sharedRows(mine.rows, theirs.rows);
    // The same rows (one seed, or a split column) are the fairest there are, however few.
    const same = shared.length === mine.rows.length && shared.length === theirs.rows.length;
    const short = same ? null : tooFew(dataset, shared);
    if (short === null) {
      rows = shared;
      note = null;
    } else {
      note =
        `v${version} (${seedOf(candidate)}) and champion v${championVersion} (${seedOf(champion)}) both held out only ${shared.length} rows, too few to judge on (${short}), ` +
        `so the champion may have trained on some of these rows and its score may be flattered; train with the champion's seed, or give the file a split column, to compare on rows neither trained on`;
    }
  }
  const ours = await metricsOnRows(candidate, dataset, rows);
  const champions = await metricsOnRows(champion, dataset, rows);
  if (ours === null || champions === null) {
    return {
      reason: `champion v${championVersion} takes other features or classes; it cannot be compared on this data`,
    };
  }
  const candidateValue = ours[metric];
  const value = champions[metric];
  if (candidateValue === undefined || value === undefined) {
    return { reason: `${metric} is not defined on the ${rows.length} rows compared` };
  }
  return {
    comparison: {
      version: championVersion,
      value,
      candidate_value: candidateValue,
      rows: rows.length,
      basis: note === null ? "both-held-out" : "candidate-held-out",
      note,
    },
  };
}

/** Where a comparison was made, for the decision's reason. */
function basisOf(c: ChampionComparison, candidate: number): string {
  return c.note === null
    ? `on the ${c.rows} rows both held out`
    : `on v${candidate}'s ${c.rows} held-out rows (${c.note})`;
}

/**
 * Points challenger at `version` unless it moved since `expected` was read: two promotions at
 * once cannot both win, and the one that lost says so.
 */
async function moveChallenger(
  store: Store,
  name: string,
  version: number,
  expected: number | null,
): Promise<void> {
  try {
    await store.models.setAlias(name, CHALLENGER, version, { expectedVersion: expected });
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    // The store's message without its `${store}: ` prefix, which the new error adds again.
    throw new StoreConflictError(
      error.store,
      `v${version} did not become ${name}@${CHALLENGER}: ${error.message.slice(error.store.length + 2)}; another promotion moved it while v${version} was judged: judge v${version} again with \`mlops gate --model ${name}@${version}\``,
      { cause: error },
    );
  }
}

/**
 * Decides whether the new version becomes `challenger`: its metric (`value`, on its held-out rows)
 * must clear the threshold, and it must not be worse than the current champion on the rows both
 * held out of their training (both artifacts are scored on them here; see
 * {@link compareWithChampion}). The champion's own version never becomes challenger. The alias is
 * set only when promoted, with a compare-and-set against the aliases read first; `champion` never
 * moves here, only through an A/B decision.
 */
export async function decidePromotion(
  store: Store,
  name: string,
  version: number,
  value: number,
  gate: PromotionGate,
  dataset: Dataset,
): Promise<PromotionDecision> {
  checkGate(gate);
  const aliases = await store.models.aliases(name);
  const championVersion = aliases[CHAMPION];
  const lower = LOWER_IS_BETTER.has(gate.metric);
  const worse = (a: number, b: number) => (lower ? a > b : a < b);
  const fmt = (x: number) => x.toFixed(4);
  if (championVersion === version) {
    return {
      promoted: false,
      reason: `v${version} is the champion: it cannot also be the challenger (the A/B test would compare it with itself)`,
      champion: null,
    };
  }
  if (worse(value, gate.threshold)) {
    return {
      promoted: false,
      reason: `${gate.metric} ${fmt(value)} does not clear the threshold ${gate.threshold} (${lower ? "≤" : "≥"} needed)`,
      champion: null,
    };
  }
  let champion: ChampionComparison | null = null;
  if (championVersion !== undefined) {
    const compared = await compareWithChampion(
      store,
      name,
      version,
      championVersion,
      dataset,
      gate.metric,
    );
    if ("reason" in compared) return { promoted: false, reason: compared.reason, champion: null };
    champion = compared.comparison;
    if (worse(champion.candidate_value, champion.value)) {
      return {
        promoted: false,
        reason: `${gate.metric} ${fmt(champion.candidate_value)} is worse than champion v${championVersion}'s ${fmt(champion.value)} ${basisOf(champion, version)}`,
        champion,
      };
    }
  }
  await moveChallenger(store, name, version, aliases[CHALLENGER] ?? null);
  return {
    promoted: true,
    reason:
      `${gate.metric} ${fmt(value)} clears the threshold ${gate.threshold}` +
      (champion
        ? ` and ${fmt(champion.candidate_value)} is not worse than champion v${champion.version}'s ${fmt(champion.value)} ${basisOf(champion, version)}`
        : " (no champion yet)"),
    champion,
  };
}
