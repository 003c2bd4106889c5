import { loadClassifierModel, readArtifact } from "@mlops/models";
import type { Store } from "@mlops/store";
import { metricsRecord } from "../artifact.js";
import { loadDataset } from "../dataset.js";
import { DatasetError } from "../errors.js";
import { classificationMetrics } from "../metrics.js";

/** What `mlops evaluate` does, as a function. */
export interface EvaluateJobInput {
  /** `NAME`, `NAME@VERSION` or `NAME@ALIAS`. */
  readonly model: string;
  readonly data: string;
  readonly label: string;
  /** Score every row, or only the held-out part (the split column's, else the seeded split). */
  readonly rows: "all" | "test";
  readonly store: Store;
}

/** The result scripts read (`mlops evaluate --json`). */
export interface EvaluateJobOutput {
  readonly model: { readonly name: string; readonly version: number };
  readonly rows: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly confusion_matrix: number[][];
  /** The model's classes, the order of the confusion matrix. */
  readonly classes: readonly string[];
  readonly data_hash: string;
}

/**
 * Scores a registered version on a CSV: the artifact is checked against its checksum, the file's
 * feature columns are matched to the model's by name (any order), and its labels to the model's
 * classes; a missing feature or an unknown label is a {@link DatasetError} naming it.
 */
export async function runEvaluateJob(input: EvaluateJobInput): Promise<EvaluateJobOutput> {
  const version = await input.store.models.resolve(input.model);
  const artifact = await readArtifact(version.artifact);
  const schema = artifact.manifest.feature_schema;
  if (schema.kind !== "classifier") {
    throw new DatasetError(
      `${version.name}@${version.version} is a ${schema.kind} model, not a classifier`,
    );
  }
  const dataset = await loadDataset(input.data, { label: input.label });
  const features = schema.features.map((f) => f.name);
  const columnOf = features.map((name) => {
    const j = dataset.featureNames.indexOf(name);
    if (j < 0) throw new DatasetError("the model needs this feature column", { column: name });
    return j;
  });
  const classOf = dataset.classNames.map((name) => {
    const k = schema.classes.indexOf(name);
    if (k < 0) {
      throw new DatasetError(
        `label ${JSON.stringify(name)} is not a class of the model (${schema.classes.join(", ")})`,
        {
          column: dataset.labelName,
        },
      );
    }
    return k;
  });
  const rows = input.rows === "all" ? Int32Array.from(dataset.y.keys()) : dataset.split.test;
  const width = dataset.featureNames.length;
  const x = new Float64Array(rows.length * features.length);
  rows.forEach((row, i) => {
    columnOf.forEach((j, f) => {
      x[i * features.length + f] = dataset.x[row * width + j];
    });
  });
  const y = Int32Array.from(rows, (row) => classOf[dataset.y[row]]);
  const nClasses = schema.classes.length;
  const { predictor } = loadClassifierModel(artifact);
  const metrics = classificationMetrics(
    y,
    predictor.predict(x),
    predictor.predictProbabilities(x),
    nClasses,
  );
  return {
    model: { name: version.name, version: version.version },
    rows: rows.length,
    metrics: metricsRecord(metrics),
    confusion_matrix: metrics.confusionMatrix,
    classes: schema.classes,
    data_hash: dataset.sha256,
  };
}
