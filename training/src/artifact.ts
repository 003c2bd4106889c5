/**
 * What a trained forest's artifact says about it: its params and metrics as MLflow-style
 * records, its manifest, and its model card, written through `@mlops/models` (which owns the
 * artifact's layout and checksum).
 */
import type { Metrics, ModelManifest, Params } from "@mlops/contracts";
import { forestModelFile, modelManifest, writeArtifact } from "@mlops/models";
import { renderModelCard } from "./card.js";
import type { Dataset } from "./dataset.js";
import type { ForestParams } from "./forest/options.js";
import type { ClassificationMetrics } from "./metrics.js";
import type { TrainOutcome } from "./train.js";

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
 * The manifest for a trained forest, validated against the shared contract; `model` is the
 * model file's text when the caller has it already.
 */
export function classifierManifest(
  identity: ArtifactIdentity,
  dataset: Dataset,
  outcome: TrainOutcome,
  model = forestModelFile(outcome.fit.model),
): ModelManifest {
  return modelManifest(
    {
      name: identity.name,
      version: identity.version,
      kind: "classifier",
      feature_schema: {
        kind: "classifier",
        features: dataset.featureNames.map((name) => ({ name, type: "number" })),
        target: dataset.labelName,
        classes: [...dataset.classNames],
      },
      metrics: metricsRecord(outcome.metrics),
      params: forestParamsRecord(outcome.fit.params),
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
 * Writes the forest's artifact into the new directory `dir`, all or nothing: `model.json`
 * (ml-random-forest JSON), `manifest.json` and the model card `card.md` (`dataSource` names the
 * data in it).
 */
export async function writeModelArtifact(
  dir: string,
  identity: ArtifactIdentity,
  dataset: Dataset,
  outcome: TrainOutcome,
  dataSource: string,
): Promise<ModelManifest> {
  const model = forestModelFile(outcome.fit.model);
  const manifest = classifierManifest(identity, dataset, outcome, model);
  await writeArtifact(dir, {
    manifest,
    model,
    card: renderModelCard({ manifest, dataset, metrics: outcome.metrics, dataSource }),
  });
  return manifest;
}
