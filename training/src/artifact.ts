/**
 * What a trained classifier's artifact says about it: its params and metrics as MLflow-style
 * records, its manifest (which names the algorithm), and its model card, written through
 * `@mlops/models` (which owns the artifact's layout, the model files' formats and the checksum).
 */
import { dirname } from "node:path";
import type { Metrics, ModelManifest, Params } from "@mlops/contracts";
import { fileErrorReason, makeDirectory } from "@mlops/contracts/files";
import { forestModelFile, gbdtModelFile, modelManifest, writeArtifact } from "@mlops/models";
import { renderModelCard } from "./card.js";
import type { Dataset } from "./dataset.js";
import { OptionError } from "./errors.js";
import type { ForestParams } from "./forest/options.js";
import type { GbdtParams } from "./gbdt/options.js";
import type { ClassificationMetrics } from "./metrics.js";
import type { FittedModel, TrainOutcome } from "./train.js";

/**
 * Creates the folder a version's artifact directory `dir` goes in, under `root` (`--artifacts`,
 * else MLOPS_ARTIFACT_DIR): before the store registers a version, so that an unusable folder
 * fails the job without leaving a version that has no files.
 * @throws OptionError naming the artifact root and why its folder cannot be made.
 */
export function prepareArtifactFolder(root: string, dir: string): void {
  try {
    makeDirectory(dirname(dir));
  } catch (error) {
    throw new OptionError(
      "--artifacts",
      `must be a folder that can be created and written (${dirname(dir)}: ${fileErrorReason(error)})`,
      root,
    );
  }
}

/** Forest hyperparameters as MLflow-style params (scikit-learn's snake_case names, scalars). */
export function forestParamsRecord(params: ForestParams): Params {
  const { classWeight } = params;
  return {
    n_estimators: params.nEstimators,
    max_features: params.maxFeatures,
    max_depth: params.maxDepth ?? "none",
    min_samples_split: params.minSamplesSplit,
    min_samples_leaf: params.minSamplesLeaf,
    bootstrap: params.bootstrap,
    class_weight:
      classWeight === null
        ? "none"
        : classWeight === "balanced"
          ? "balanced"
          : JSON.stringify(classWeight),
    seed: params.seed,
  };
}

/**
 * Boosted-trees hyperparameters as MLflow-style params: scikit-learn's HistGradientBoosting names
 * where it has the option (`max_iter` is `n_estimators` here, as for the forest), XGBoost's
 * otherwise (`min_child_weight` is `min_hessian_leaf`, `colsample_bytree`).
 */
export function gbdtParamsRecord(params: GbdtParams): Params {
  return {
    n_estimators: params.nEstimators,
    learning_rate: params.learningRate,
    growth: params.growth,
    max_leaf_nodes: params.maxLeafNodes ?? "none",
    max_depth: params.maxDepth ?? "none",
    min_samples_leaf: params.minSamplesLeaf,
    min_samples_split: params.minSamplesSplit,
    min_hessian_leaf: params.minHessianLeaf,
    l2_regularization: params.l2Regularization,
    max_bins: params.maxBins,
    subsample: params.subsample,
    colsample_bytree: params.colsampleByTree,
    early_stopping: params.earlyStopping,
    validation_fraction: params.validationFraction,
    n_iter_no_change: params.nIterNoChange,
    tol: params.tol,
    seed: params.seed,
  };
}

/** An algorithm with its resolved hyperparameters. */
export type AlgorithmParams =
  | { readonly algorithm: "forest"; readonly params: ForestParams }
  | { readonly algorithm: "gbdt"; readonly params: GbdtParams };

/** The algorithm and hyperparameters a fitted model was learned with. */
export function algorithmParams(model: FittedModel): AlgorithmParams {
  return model.algorithm === "forest"
    ? { algorithm: "forest", params: model.fit.params }
    : { algorithm: "gbdt", params: model.fit.params };
}

/**
 * The params a trained classifier is tracked and registered with: its algorithm, then its
 * hyperparameters (what `versionAlgorithm` of `@mlops/contracts` reads back from the registry).
 */
export function modelParamsRecord(model: AlgorithmParams): Params {
  return model.algorithm === "forest"
    ? { algorithm: "forest", ...forestParamsRecord(model.params) }
    : { algorithm: "gbdt", ...gbdtParamsRecord(model.params) };
}

/** The text of a fitted classifier's model file, in its algorithm's format. */
export function classifierModelFile(model: FittedModel): string {
  return model.algorithm === "forest"
    ? forestModelFile(model.fit.model)
    : gbdtModelFile(model.fit.model);
}

/** The scalar metrics under snake_case names; an undefined ROC AUC (NaN) is left out. */
export function metricsRecord(metrics: ClassificationMetrics): Metrics {
  const record: Metrics = {
    accuracy: metrics.accuracy,
    balanced_accuracy: metrics.balancedAccuracy,
    precision: metrics.precision,
    recall: metrics.recall,
    f1: metrics.f1,
    log_loss: metrics.logLoss,
    brier: metrics.brier,
  };
  if (!Number.isNaN(metrics.rocAuc)) record.roc_auc = metrics.rocAuc;
  return record;
}

/** Identity and lineage of the version an artifact holds (assigned by the registry and tracking). */
export interface ArtifactIdentity {
  readonly name: string;
  readonly version: number;
  readonly runId: string;
  readonly gitSha: string | null;
  /** @default now */
  readonly created?: Date;
}

/**
 * The manifest for a trained classifier, validated against the shared contract; `model` is the
 * model file's text when the caller has it already.
 */
export function classifierManifest(
  identity: ArtifactIdentity,
  dataset: Dataset,
  outcome: TrainOutcome,
  model = classifierModelFile(outcome),
): ModelManifest {
  return modelManifest(
    {
      name: identity.name,
      version: identity.version,
      kind: "classifier",
      algorithm: outcome.algorithm,
      feature_schema: {
        kind: "classifier",
        features: dataset.featureNames.map((name) => ({ name, type: "number" })),
        target: dataset.labelName,
        classes: [...dataset.classNames],
      },
      metrics: metricsRecord(outcome.metrics),
      params: modelParamsRecord(algorithmParams(outcome)),
      seed: outcome.fit.params.seed,
      data_hash: dataset.sha256,
      git_sha: identity.gitSha,
      run_id: identity.runId,
      created: (identity.created ?? new Date()).toISOString(),
    },
    model,
  );
}

/**
 * Writes the classifier's artifact into the new directory `dir`, all or nothing: `model.json`
 * (ml-random-forest JSON for a forest, `@mlops/models`' boosted-trees JSON of kind `gbdt` for
 * boosted trees), `manifest.json` and the model card `card.md` (`dataSource` names the data in
 * it).
 */
export async function writeModelArtifact(
  dir: string,
  identity: ArtifactIdentity,
  dataset: Dataset,
  outcome: TrainOutcome,
  dataSource: string,
): Promise<ModelManifest> {
  const model = classifierModelFile(outcome);
  const manifest = classifierManifest(identity, dataset, outcome, model);
  await writeArtifact(dir, {
    manifest,
    model,
    card: renderModelCard({ manifest, dataset, outcome, dataSource }),
  });
  return manifest;
}
