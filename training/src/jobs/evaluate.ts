import type { ModelVersion } from "@mlops/contracts";
import { loadClassifierModel, readArtifact } from "@mlops/models";
import type { Store } from "@mlops/store";
import { type LabelledTable, loadDataset, loadLabelledTable, selectRows } from "../dataset.js";
import { DatasetError, OptionError } from "../errors.js";
import { type ScoringReport, scoreClassifier } from "../scoring.js";
import { heldOutRows } from "./held-out.js";

/** What `mlops evaluate` does, as a function. */
export interface EvaluateJobInput {
  /** `NAME`, `NAME@VERSION` or `NAME@ALIAS`. */
  readonly model: string;
  readonly data: string;
  readonly label: string;
  /**
   * Score every row (of any classes: a held-out slice may hold one), or only the rows the version
   * held out of its training file (the split column's, else its recorded seed's split), read
   * with training's rules.
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
  /** The file's columns the model does not take (nor the label, nor split), which were not read. */
  readonly ignored_columns: readonly string[];
}

/** The model's feature columns of `input.data` (the rest unread) and the rows of it to score. */
async function rowsToScore(
  input: EvaluateJobInput,
  version: ModelVersion,
  features: readonly string[],
): Promise<{ table: LabelledTable; rows: Int32Array }> {
  if (input.rows === "test") {
    const dataset = await loadDataset(input.data, { label: input.label, features });
    const heldOut = heldOutRows(version, dataset);
    if (heldOut.rows === null) {
      throw new OptionError(
        "--rows",
        `test scores the rows the version held out of its training file: ${heldOut.unknown}; score another file with --rows all`,
        input.rows,
      );
    }
    return { table: dataset, rows: heldOut.rows };
  }
  const table = await loadLabelledTable(input.data, { label: input.label, features });
  return { table, rows: Int32Array.from(table.y.keys()) };
}

/**
 * Scores a registered version on a CSV: the artifact is checked against its checksum, the file's
 * columns are matched to the model's features by name (any order; only those and the label are
 * read, the others are named in `ignored_columns`), and its labels to the model's classes; a
 * missing feature or an unknown label is a {@link DatasetError} naming it.
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
  const features = schema.features.map((f) => f.name);
  const { table, rows } = await rowsToScore(input, version, features);
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
  // The table's columns are the model's features, in its order.
  const { x, y: fileY } = selectRows(table.x, table.y, features.length, rows);
  const y = Int32Array.from(fileY, (k) => classOf[k]);
  const { predictor } = loadClassifierModel(artifact);
  return {
    model: { name: version.name, version: version.version },
    rows: rows.length,
    ...scoreClassifier(y, predictor.predict(x), predictor.predictProbabilities(x), schema.classes),
    classes: schema.classes,
    data_hash: table.sha256,
    ignored_columns: table.ignoredColumns,
  };
}
