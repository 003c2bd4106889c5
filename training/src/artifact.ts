import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  type Metrics,
  type ModelManifest,
  ModelManifestSchema,
  type Params,
} from "@mlops/contracts";
import { renderModelCard } from "./card.js";
import type { Dataset } from "./dataset.js";
import { ArtifactError } from "./errors.js";
import type { RandomForestJSON } from "./forest/model.js";
import type { ForestParams } from "./forest/options.js";
import type { ClassificationMetrics } from "./metrics.js";
import type { TrainOutcome } from "./train.js";

/** File names inside a model artifact directory. */
export const MODEL_FILE = "model.json";
export const MANIFEST_FILE = "manifest.json";
export const CARD_FILE = "card.md";

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

/** The manifest for a trained forest; validated against the shared contract. */
export function classifierManifest(
  identity: ArtifactIdentity,
  dataset: Dataset,
  outcome: TrainOutcome,
  modelSha256: string,
): ModelManifest {
  return ModelManifestSchema.parse({
    format_version: 1,
    name: identity.name,
    version: identity.version,
    kind: "classifier",
    feature_schema: {
      kind: "classifier",
      features: dataset.featureNames.map((name) => ({ name, type: "number" })),
      target: dataset.labelName,
      classes: dataset.classNames,
    },
    metrics: metricsRecord(outcome.metrics),
    params: forestParamsRecord(outcome.fit.params),
    seed: outcome.fit.params.seed,
    data_hash: dataset.sha256,
    git_sha: identity.gitSha,
    run_id: identity.runId,
    created: (identity.created ?? new Date()).toISOString(),
    model_file: MODEL_FILE,
    model_sha256: modelSha256,
  });
}

/**
 * Writes `model.json` (ml-random-forest JSON), `manifest.json` and the model card `card.md`
 * (`dataSource` names the data in it) into the new directory `dir`, all or nothing (see
 * {@link writeArtifactFiles}).
 */
export async function writeModelArtifact(
  dir: string,
  identity: ArtifactIdentity,
  dataset: Dataset,
  outcome: TrainOutcome,
  dataSource: string,
): Promise<ModelManifest> {
  const model = JSON.stringify(outcome.fit.model);
  const manifest = classifierManifest(identity, dataset, outcome, sha256(model));
  await writeArtifactFiles(dir, {
    [MODEL_FILE]: model,
    [MANIFEST_FILE]: `${JSON.stringify(manifest, null, 2)}\n`,
    [CARD_FILE]: renderModelCard({ manifest, dataset, metrics: outcome.metrics, dataSource }),
  });
  return manifest;
}

/**
 * Writes `files` (name → text) into the new directory `dir`: staged in a temporary sibling that
 * is renamed into place, so `dir` either holds every file or does not exist; an existing `dir`
 * is never overwritten ({@link ArtifactError}).
 */
export async function writeArtifactFiles(
  dir: string,
  files: Readonly<Record<string, string>>,
): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const staging = join(dirname(dir), `.${basename(dir)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await mkdir(staging);
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text);
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (isCode(error, "ENOTEMPTY") || isCode(error, "EEXIST")) {
      throw new ArtifactError(
        `artifact directory ${dir} already exists; versions are never overwritten`,
      );
    }
    throw error;
  }
}

/** Reads an artifact back, checking the manifest against the contract and the model's SHA-256. */
export async function readModelArtifact(
  dir: string,
): Promise<{ manifest: ModelManifest; model: RandomForestJSON }> {
  const manifest = ModelManifestSchema.parse(
    JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")),
  );
  const text = await readFile(join(dir, manifest.model_file), "utf8");
  if (sha256(text) !== manifest.model_sha256) {
    throw new ArtifactError(
      `${manifest.model_file} does not match model_sha256 in ${MANIFEST_FILE}`,
    );
  }
  return { manifest, model: JSON.parse(text) as RandomForestJSON };
}

/** Lower-case hex SHA-256 of a model file's text. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
