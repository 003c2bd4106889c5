import { loadClassifierModel, readArtifact } from "@mlops/models";
import type { Store } from "@mlops/store";
import { type LabelledTable, loadDataset, loadLabelledTable } from "../dataset.js";
import { DatasetError } from "../errors.js";
import { type ScoringReport, scoreClassifier } from "../scoring.js";

/** What `mlops evaluate` does, as a function. */
export interface EvaluateJobInput {
  /** `NAME`, `NAME@VERSION` or `NAME@ALIAS`. */
  readonly model: string;
  readonly data: string;
  readonly label: string;
  /**
   * Score every row (of any classes: a held-out slice may hold one), or only the held-out part of
   * a training file (the split column's, else the seeded split), read with training's rules.
   */
  readonly rows: "all" | "test";
  readonly store: Store;
}

/** The result scripts read (`mlops evaluate --json`). */
export interface EvaluateJobOutput extends ScoringReport {
  readonly model: { readonly name: string; readonly version: number };
  readonly rows: number;
  /** The model's classes, the order of the confusion matrix. */
  readonly classes: readonly string[];
  readonly data_hash: string;
}

/** The table of `input.data` and the rows of it to score. */
async function rowsToScore(
  input: EvaluateJobInput,
): Promise<{ table: LabelledTable; rows: Int32Array }> {
  if (input.rows === "test") {
    const dataset = await loadDataset(input.data, { label: input.label });
    return { table: dataset, rows: dataset.split.test };
  }
  const table = await loadLabelledTable(input.data, { label: input.label });
  return { table, rows: Int32Array.from(table.y.keys()) };
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
  const { table, rows } = await rowsToScore(input);
  const features = schema.features.map((f) => f.name);
  const columnOf = features.map((name) => {
    const j = table.featureNames.indexOf(name);
    if (j < 0) throw new DatasetError("the model needs this feature column", { column: name });
    return j;
  });
  const classOf = table.classNames.map((name) => {
    const k = schema.classes.indexOf(name);
    if (k < 0) {
      throw new DatasetError(
        `label ${JSON.stringify(name)} is not a class of the model (${schema.classes.join(", ")})`,
        {
          column: table.labelName,
        },
      );
    }
    return k;
  });
  const width = table.featureNames.length;
  const x = new Float64Array(rows.length * features.length);
  rows.forEach((row, i) => {
    columnOf.forEach((j, f) => {
      x[i * features.length + f] = table.x[row * width + j];
    });
  });
  const y = Int32Array.from(rows, (row) => classOf[table.y[row]]);
  const { predictor } = loadClassifierModel(artifact);
  return {
    model: { name: version.name, version: version.version },
    rows: rows.length,
    ...scoreClassifier(y, predictor.predict(x), predictor.predictProbabilities(x), schema.classes),
    classes: schema.classes,
    data_hash: table.sha256,
  };
}
