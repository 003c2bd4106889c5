import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { basename, extname, join } from "node:path";
import {
  CHALLENGER,
  type ClassifierAlgorithm,
  type MetricPoint,
  NameSchema,
  type Params,
} from "@mlops/contracts";
import { artifactRef, ForestPredictor, type RandomForestJSON } from "@mlops/models";
import { registerVersion, type Store } from "@mlops/store";
import {
  type AlgorithmParams,
  classifierModelFile,
  metricsRecord,
  modelParamsRecord,
  prepareArtifactFolder,
  writeModelArtifact,
} from "../artifact.js";
import { type Dataset, loadDataset } from "../dataset.js";
import { OptionError, requireThreads } from "../errors.js";
import { type ForestParams, resolveForestOptions } from "../forest/options.js";
import { createTrainingPool } from "../forest/pool.js";
import { type GbdtOptions, resolveGbdtOptions } from "../gbdt/options.js";
import type { RegistryMirror } from "../tracking/mlflow-registry.js";
import type { RunTracker } from "../tracking/tracker.js";
import {
  evaluateFit,
  type ForestOutcome,
  type TrainOutcome,
  trainAndEvaluate,
  trainAndEvaluateGbdt,
} from "../train.js";
import { mergeShareFiles, shareProvenance } from "./distributed.js";
import { headCommit } from "./git.js";
import { requireArtifactRoot, requireModelKind } from "./preflight.js";
import {
  checkGate,
  decidePromotion,
  type PromotionDecision,
  type PromotionGate,
} from "./promotion.js";

/** The trees of a forest when the spec names none. */
export const DEFAULT_FOREST_TREES = 100;

/**
 * What to fit: a random forest of `trees` trees, or gradient-boosted trees with `options` (any
 * of `GbdtOptions` but the seed, which the job's `seed` sets for both).
 */
export type ModelSpec =
  | { readonly algorithm: "forest"; readonly trees?: number }
  | { readonly algorithm: "gbdt"; readonly options?: Omit<GbdtOptions, "seed"> };

/** Progress while a model grows: trees of a forest, or boosting rounds. */
export interface JobProgress {
  readonly done: number;
  readonly total: number;
}

/** What `mlops train` does, as a function. */
export interface TrainJobInput {
  /** CSV file to train on. */
  readonly data: string;
  /** Label column. */
  readonly label: string;
  /** Registered model name. @default the file's base name */
  readonly name?: string;
  /** The algorithm and its hyperparameters. @default a forest of 100 trees */
  readonly model?: ModelSpec;
  /** Seed of the model (and of the split when the file has none). @default 42 */
  readonly seed?: number;
  /** @default 1 */
  readonly threads?: number;
  /** Where the registry lives (and runs, unless `tracker` is given). */
  readonly store: Store;
  /** Where runs are tracked. @default store.runs */
  readonly tracker?: RunTracker;
  /** Where the new version (and a challenger alias) is mirrored, e.g. MLflow's registry. */
  readonly mirror?: RegistryMirror | null;
  /** Directory under which each run's artifacts are written (`<root>/<run_id>/model`). */
  readonly artifactRoot: string;
  /** Commit recorded as lineage; looked up with `git rev-parse HEAD` when absent. */
  readonly gitSha?: string | null;
  /** Progress while trees (forest) or rounds (gbdt) are added. */
  readonly onProgress?: (progress: JobProgress) => void;
  /**
   * A folder of forest shares trained on other nodes (`mlops forest share`): merge them instead
   * of fitting, then evaluate, track and register as usual. `fit_ms` is then the merge's time.
   * Forests only. The shares must have been trained on this data, label and split with these
   * flags (`--trees`, `--seed`); they are read and checked before the run is recorded.
   */
  readonly fromShares?: string;
  /** `--auto-promote`: make the new version `challenger` if it passes this gate. */
  readonly promotion?: PromotionGate;
  /**
   * Stops the fit at its next batch of trees or boosting round; the run is then KILLED and
   * nothing is registered (the job rejects with the signal's reason).
   */
  readonly signal?: AbortSignal;
}

/** The result scripts read (`mlops train --json`). */
export interface TrainJobOutput {
  readonly run_id: string;
  readonly model: { readonly name: string; readonly version: number };
  readonly algorithm: ClassifierAlgorithm;
  /** The hyperparameters as tracked and registered (snake_case, the algorithm first). */
  readonly params: Params;
  /** Boosting rounds (gbdt only): trained, kept (fewer under early stopping), and why it stopped. */
  readonly rounds: {
    readonly trained: number;
    readonly kept: number;
    readonly stopped_by: "early_stopping" | null;
  } | null;
  /** Held-out metrics, snake_case (accuracy, balanced_accuracy, f1, roc_auc, log_loss, …). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Held-out confusion matrix: rows true class, columns predicted, in `classes` order. */
  readonly confusion_matrix: number[][];
  readonly classes: readonly string[];
  /** Wall time of the fit alone, in milliseconds. */
  readonly fit_ms: number;
  readonly data_hash: string;
  /** The artifact directory (model.json, manifest.json, card.md). */
  readonly artifact: string;
  /** The auto-promotion decision, when a gate was given. */
  readonly promotion: PromotionDecision | null;
}

/** A model spec with its hyperparameters checked (before any data is read) and recorded. */
type ResolvedSpec = AlgorithmParams & { readonly record: Params };

function resolveSpec(spec: ModelSpec, seed: number): ResolvedSpec {
  const resolved: AlgorithmParams =
    spec.algorithm === "forest"
      ? {
          algorithm: "forest",
          params: resolveForestOptions({ nEstimators: spec.trees ?? DEFAULT_FOREST_TREES, seed }),
        }
      : { algorithm: "gbdt", params: resolveGbdtOptions({ ...spec.options, seed }) };
  return { ...resolved, record: modelParamsRecord(resolved) };
}

/**
 * Fits the spec on the dataset's training part and scores it on the held-out part, adding the
 * validation curve to `curve`: accuracy by number of trees (forest), or validation log loss and
 * accuracy by round (gbdt; on the early-stopping share of the training rows when it is on).
 */
async function fitSpec(
  spec: ResolvedSpec,
  dataset: Dataset,
  input: TrainJobInput,
  threads: number,
  curve: MetricPoint[],
  merged: MergedShares | null,
): Promise<TrainOutcome> {
  const point = (key: string, value: number, step: number): void => {
    curve.push({ key, value, step, timestamp: Date.now() });
  };
  if (spec.algorithm === "gbdt") {
    const outcome = await trainAndEvaluateGbdt(dataset, spec.params, {
      threads,
      signal: input.signal,
      onProgress: (p) => input.onProgress?.({ done: p.round, total: p.nEstimators }),
    });
    const { history } = outcome.fit;
    history?.loss.forEach((loss, i) => {
      point("validation_log_loss_by_round", loss, i + 1);
    });
    history?.accuracy.forEach((acc, i) => {
      point("validation_accuracy_by_round", acc, i + 1);
    });
    return outcome;
  }
  if (merged) return mergedOutcome(dataset, spec.params, merged);
  // Threads start before the fit is timed: fit_ms excludes start-up.
  const pool = threads > 1 ? createTrainingPool(threads) : undefined;
  await pool?.ready();
  return trainAndEvaluate(dataset, spec.params, {
    pool,
    signal: input.signal,
    onProgress: (progress) => {
      point("accuracy_by_trees", progress.validationAccuracy!, progress.treesDone);
      input.onProgress?.({ done: progress.treesDone, total: progress.nEstimators });
    },
  }).finally(() => pool?.close());
}

/** The boosting rounds of a gbdt outcome, as `--json` reports them; null for a forest. */
function roundsOf(outcome: TrainOutcome): TrainJobOutput["rounds"] {
  if (outcome.algorithm !== "gbdt") return null;
  const { fit } = outcome;
  return {
    trained: fit.roundsTrained,
    kept: fit.nRounds,
    stopped_by: fit.stoppedBy === "earlyStopping" ? "early_stopping" : null,
  };
}

const DESCRIPTION = { forest: "Random forest", gbdt: "Gradient-boosted trees" } as const;

/** `name` if the registry can name a model so, else an error naming `flag` (how it was given). */
export function checkModelName(name: string, flag: string): string {
  const checked = NameSchema.safeParse(name);
  if (!checked.success) {
    throw new OptionError(
      flag,
      checked.error.issues[0]?.message ?? "is not a valid model name",
      name,
    );
  }
  return name;
}

/**
 * Trains a classifier (a random forest or gradient-boosted trees) on a CSV and records
 * everything: a tracked run (the algorithm and its params, held-out metrics, the curve by trees
 * or rounds, tags for git sha, data hash, seed and host), a registered model version with
 * lineage, and the artifact with its manifest and model card. What needs no training is checked
 * before the run is recorded (the flags, the data, the name and the kind of model it holds, the
 * artifact folder, the forest shares), so a refused call leaves nothing behind; a failure after
 * the run starts marks the run FAILED before it is rethrown.
 */
export async function runTrainJob(input: TrainJobInput): Promise<TrainJobOutput> {
  const seed = input.seed ?? 42;
  const spec = resolveSpec(input.model ?? { algorithm: "forest" }, seed);
  if (spec.algorithm === "gbdt" && input.fromShares) {
    throw new OptionError(
      "--from-shares",
      "merges forest shares: it does not apply to gbdt",
      input.fromShares,
    );
  }
  const threads = input.threads ?? 1;
  if (input.promotion) checkGate(input.promotion);
  requireThreads(threads);
  const dataset = await loadDataset(input.data, { label: input.label, seed });
  const nameFlag =
    input.name === undefined ? "--name (by default the --data file's base name)" : "--name";
  const name = checkModelName(input.name ?? basename(input.data, extname(input.data)), nameFlag);
  const { store } = input;
  const merged =
    input.fromShares && spec.algorithm === "forest"
      ? await mergeShares(input.fromShares, dataset, spec.params)
      : null;
  await requireModelKind(store, name, "classifier", nameFlag);
  requireArtifactRoot(input.artifactRoot);
  const gitSha = input.gitSha === undefined ? await headCommit() : input.gitSha;
  const tracker = input.tracker ?? store.runs;
  const started = Date.now();
  // The backend may assign its own id (MLflow does); use the one it returns.
  const { run_id: runId } = await tracker.create({
    run_id: randomUUID().replaceAll("-", ""),
    experiment_name: name,
    run_name: `train ${name}`,
    start_time: started,
    params: { ...spec.record, data: input.data, label: input.label },
    tags: {
      "mlops.git_sha": gitSha ?? "unknown",
      "mlops.data_hash": dataset.sha256,
      "mlops.seed": String(seed),
      "mlops.host": hostname(),
      "mlops.split": dataset.splitSource,
    },
  });
  try {
    const curve: MetricPoint[] = [];
    const outcome = await fitSpec(spec, dataset, input, threads, curve, merged);
    // The last point a stop is honoured: from here the version is registered with its files.
    input.signal?.throwIfAborted();
    const rounds = roundsOf(outcome);
    const metrics = metricsRecord(outcome.metrics);
    const now = Date.now();
    await tracker.logMetrics(runId, [
      ...Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: now })),
      ...(rounds
        ? [
            { key: "rounds_trained", value: rounds.trained, step: 0, timestamp: now },
            { key: "rounds_kept", value: rounds.kept, step: 0, timestamp: now },
          ]
        : []),
      ...curve,
    ]);
    const dir = join(input.artifactRoot, runId, "model");
    prepareArtifactFolder(input.artifactRoot, dir);
    const version = await registerVersion(
      store.models,
      {
        name,
        kind: "classifier",
        run_id: runId,
        data_hash: dataset.sha256,
        git_sha: gitSha,
        params: spec.record,
        metrics,
        artifact: artifactRef(dir, classifierModelFile(outcome)),
        description: `${DESCRIPTION[spec.algorithm]} on ${basename(input.data)} predicting ${dataset.labelName}`,
      },
      (pending) =>
        writeModelArtifact(
          dir,
          { name, version: pending.version, runId, gitSha },
          dataset,
          outcome,
          input.data,
        ),
    );
    // Mirrored once the files exist: the mirror hands them to the registry it copies into.
    await input.mirror?.versionRegistered(version);
    await tracker.addArtifacts(runId, [{ path: "model", uri: dir }]);
    await tracker.setTags(runId, { "mlops.model": `${name}@${version.version}` });
    const promotion = input.promotion
      ? await decidePromotion(
          store,
          name,
          version.version,
          metrics[input.promotion.metric],
          input.promotion,
          dataset,
        )
      : null;
    if (promotion?.promoted) await input.mirror?.aliasMoved(name, CHALLENGER, version.version);
    if (promotion) {
      await tracker.setTags(runId, {
        "mlops.promotion": promotion.promoted ? "challenger" : "not promoted",
        "mlops.promotion_reason": promotion.reason,
      });
    }
    await tracker.finish(runId, "FINISHED", Date.now());
    return {
      run_id: runId,
      model: { name, version: version.version },
      algorithm: spec.algorithm,
      params: spec.record,
      rounds,
      metrics,
      confusion_matrix: outcome.metrics.confusionMatrix,
      classes: dataset.classNames,
      fit_ms: outcome.fitMs,
      data_hash: dataset.sha256,
      artifact: dir,
      promotion,
    };
  } catch (error) {
    await tracker.setTags(runId, {
      "mlops.error": error instanceof Error ? error.message : String(error),
    });
    await tracker.finish(runId, input.signal?.aborted ? "KILLED" : "FAILED", Date.now());
    throw error;
  }
}

/** The forest merged from `--from-shares`, and how long reading and merging its shares took. */
interface MergedShares {
  readonly model: RandomForestJSON;
  readonly mergeMs: number;
}

/**
 * The shares in `dir` merged, before any run is recorded. They must be the forest these params
 * describe (same seed and number of trees), trained on this dataset (its hash, label, features,
 * classes and split); shares of another forest or other data are refused.
 */
async function mergeShares(
  dir: string,
  dataset: Dataset,
  params: ForestParams,
): Promise<MergedShares> {
  const start = performance.now();
  const model = await mergeShareFiles(dir, shareProvenance(dataset, params));
  const nTrees = model.baseModel.estimators.length;
  if (nTrees !== params.nEstimators || model.baseModel.seed !== params.seed) {
    throw new OptionError(
      "--from-shares",
      `must hold the forest of --trees ${params.nEstimators} --seed ${params.seed}`,
      { trees: nTrees, seed: model.baseModel.seed },
    );
  }
  return { model, mergeMs: performance.now() - start };
}

/** The merged forest scored like a forest fitted here; `fit_ms` is the merge's time. */
function mergedOutcome(
  dataset: Dataset,
  params: ForestParams,
  { model, mergeMs }: MergedShares,
): ForestOutcome {
  const start = performance.now();
  const predictor = ForestPredictor.fromJSON(
    model,
    dataset.featureNames.length,
    dataset.classNames.length,
  );
  const nTrees = model.baseModel.estimators.length;
  return evaluateFit(
    dataset,
    {
      algorithm: "forest",
      fit: { model, predictor, params, nTrees, stoppedEarly: false },
    },
    mergeMs + performance.now() - start,
  );
}
