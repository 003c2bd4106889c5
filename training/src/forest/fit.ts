import { setImmediate as nextTurn } from "node:timers/promises";
import {
  type FlatTree,
  ForestPredictor,
  forestToJSON,
  type RandomForestJSON,
  VoteTally,
} from "@mlops/models";
import { OptionError, requirePositiveInteger, requireThreads } from "../errors.js";
import { checkClasses } from "../metrics.js";
import { growTrees, type TreeBatch } from "./batch.js";
import { trainingMatrix } from "./cart.js";
import {
  classWeights,
  type ForestOptions,
  type ForestParams,
  resolveForestOptions,
  treeParams,
} from "./options.js";
import { createTrainingPool, type TrainingPool } from "./pool.js";

/** Labeled rows: row-major features and class indexes. */
export interface LabeledRows {
  /** Row-major features, `nFeatures` per row. */
  readonly x: Float64Array;
  /** Class index of each row. */
  readonly y: Int32Array;
}

/** What a forest is fitted on. */
export interface TrainingData extends LabeledRows {
  readonly nFeatures: number;
  /** Class names by index (they key the `classWeight` map and fix the number of classes). */
  readonly classNames: readonly string[];
}

/** A progress report while trees are added. */
export interface TrainingProgress {
  /** Trees finished, counted as a prefix in tree order (so reports do not depend on threads). */
  readonly treesDone: number;
  readonly nEstimators: number;
  /** Accuracy of the forest of the first `treesDone` trees on `validation`, when given. */
  readonly validationAccuracy: number | undefined;
}

/** How to run a fit (none of these change the trees). */
export interface FitOptions {
  /**
   * Worker threads; 1 trains on the calling thread. Ignored when `pool` is given.
   * @default 1
   */
  threads?: number;
  /** Worker threads to reuse (see {@link createTrainingPool}); the caller closes it. */
  pool?: TrainingPool;
  /** Rows scored in progress reports. */
  validation?: LabeledRows;
  /** Report every this many trees (and after the last). @default 10 */
  progressEvery?: number;
  /** Called with each report, in tree order. To stop early, abort `signal` from here. */
  onProgress?: (progress: TrainingProgress) => void;
  /**
   * Stops training: no further batch starts, batches already running finish but are dropped, and
   * the fit resolves with the trees added before the abort (a prefix in tree order; aborting from
   * `onProgress` keeps exactly the trees that report counted; `stoppedEarly: true`), or rejects
   * with the signal's reason if there are none.
   */
  signal?: AbortSignal;
  /**
   * Train only trees `from`..`to`−1 of the forest (a node's share when several machines train
   * one forest). Tree t still grows from (seed, t), so {@link mergeForests} of the shares in order
   * equals the whole forest byte for byte.
   * @default { from: 0, to: nEstimators }
   */
  treeRange?: { from: number; to: number };
}

/** A fitted forest. */
export interface FitResult {
  /** ml-random-forest JSON: `RandomForestClassifier.load(model)` predicts as {@link predictor}. */
  readonly model: RandomForestJSON;
  readonly predictor: ForestPredictor;
  readonly params: ForestParams;
  /** Trees in the model (fewer than `params.nEstimators` when stopped early). */
  readonly nTrees: number;
  readonly stoppedEarly: boolean;
}

/**
 * Fits a random forest (see {@link growTree} for the learner). Tree t's randomness depends only
 * on (`seed`, t), so the model's JSON is byte-identical for any `threads`.
 */
export async function fitForest(
  data: TrainingData,
  options: ForestOptions = {},
  fit: FitOptions = {},
): Promise<FitResult> {
  const params = resolveForestOptions(options);
  const { nFeatures, classNames } = data;
  checkRows("data", data, nFeatures, classNames.length);
  if (fit.validation) checkRows("validation", fit.validation, nFeatures, classNames.length);
  const progressEvery = fit.progressEvery ?? 10;
  requirePositiveInteger("progressEvery", progressEvery);
  const threads = fit.pool?.threads ?? fit.threads ?? 1;
  requireThreads(threads);
  const tree = treeParams(params, nFeatures);
  const weights = classWeights(params, classNames, data.y);
  const shared = threads > 1;
  const matrix = trainingMatrix(data.x, data.y, nFeatures, classNames.length, weights, shared);

  const { from: first = 0, to: end = params.nEstimators } = fit.treeRange ?? {};
  if (
    !Number.isInteger(first) ||
    !Number.isInteger(end) ||
    first < 0 ||
    end > params.nEstimators ||
    first >= end
  ) {
    throw new OptionError(
      "treeRange",
      `must satisfy 0 ≤ from < to ≤ nEstimators (${params.nEstimators}), integers`,
      fit.treeRange,
    );
  }
  const total = end - first;
  // Batches small enough to balance the threads and to report on time; trees do not depend on them.
  const batchSize = Math.max(
    1,
    Math.min(fit.onProgress ? progressEvery : total, Math.ceil(total / (threads * 4))),
  );
  const batches: TreeBatch[] = [];
  for (let from = first; from < end; from += batchSize) {
    batches.push({
      data: matrix,
      params: tree,
      seed: params.seed,
      from,
      to: Math.min(end, from + batchSize),
    });
  }

  const trees: FlatTree[] = [];
  const tracker = new ProgressTracker(data, fit, progressEvery, total);
  const done = new Map<number, FlatTree[]>();
  let nextBatch = 0;
  const accept = (index: number, grown: FlatTree[]): void => {
    done.set(index, grown);
    // Trees join the forest strictly in order, however the batches finish.
    // After an abort no tree joins: a stop from onProgress keeps exactly the trees reported.
    for (; done.has(nextBatch) && !signal?.aborted; nextBatch++) {
      for (const t of done.get(nextBatch)!) {
        if (signal?.aborted) break;
        trees.push(t);
        tracker.add(t);
      }
      done.delete(nextBatch);
    }
  };

  const { signal } = fit;
  if (threads === 1) {
    for (const [index, batch] of batches.entries()) {
      if (signal?.aborted) break;
      accept(index, growTrees(batch));
      // Let timers and I/O (and so an abort) in between batches.
      await nextTurn();
    }
  } else {
    const pool = fit.pool ?? createTrainingPool(threads);
    // At most one batch per thread in flight: an abort then only has to stop launching. Aborting
    // a running piscina task would end its thread, and restarting one (with tsx) costs ~0.4 s.
    let launched = 0;
    const lane = async (): Promise<void> => {
      while (launched < batches.length && !signal?.aborted) {
        const index = launched++;
        accept(index, await pool.run(batches[index]));
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(pool.threads, batches.length) }, lane));
    } finally {
      if (!fit.pool) await pool.close();
    }
  }

  if (trees.length === 0) throw signal?.reason ?? new Error("no tree was trained");
  return {
    model: forestToJSON(trees, nFeatures, tree, params.seed),
    predictor: ForestPredictor.fromTrees(trees, nFeatures),
    params,
    nTrees: trees.length,
    stoppedEarly: trees.length < total,
  };
}

/** Scores the growing forest on the validation rows and calls `onProgress` on schedule. */
class ProgressTracker {
  private readonly tally: VoteTally | undefined;
  private readonly validation: LabeledRows | undefined;
  private count = 0;

  constructor(
    private readonly data: TrainingData,
    private readonly fit: FitOptions,
    private readonly every: number,
    private readonly total: number,
  ) {
    this.validation = fit.onProgress ? fit.validation : undefined;
    this.tally = this.validation
      ? new VoteTally(this.validation.y.length, data.classNames.length)
      : undefined;
  }

  add(tree: FlatTree): void {
    if (!this.fit.onProgress || this.fit.signal?.aborted) return;
    this.count++;
    if (this.tally && this.validation) {
      const one = ForestPredictor.fromTrees([tree], this.data.nFeatures);
      this.tally.add(one.treeVotes(0, this.validation.x));
    }
    if (this.count % this.every !== 0 && this.count !== this.total) return;
    let validationAccuracy: number | undefined;
    if (this.tally && this.validation) {
      const { y } = this.validation;
      let correct = 0;
      for (let i = 0; i < y.length; i++) if (this.tally.prediction[i] === y[i]) correct++;
      validationAccuracy = correct / y.length;
    }
    this.fit.onProgress({ treesDone: this.count, nEstimators: this.total, validationAccuracy });
  }
}

/** Checks that `rows` holds `nFeatures` features per label and class indexes below `nClasses`. */
export function checkRows(
  option: string,
  rows: LabeledRows,
  nFeatures: number,
  nClasses: number,
): void {
  requirePositiveInteger("nFeatures", nFeatures);
  if (rows.y.length === 0 || rows.x.length !== rows.y.length * nFeatures) {
    throw new OptionError(
      `${option}.x`,
      `must hold ${nFeatures} features for each of the ${rows.y.length} labels (at least one)`,
      rows.x.length,
    );
  }
  checkClasses(`${option}.y`, rows.y, nClasses);
}
