import { FeatureSchemaSchema, MAX_FEATURES, truncateText } from "@mlops/contracts";
import { fileErrorReason, readBoundedFile } from "@mlops/contracts/files";
import { readNumber } from "@mlops/garch/csv";
import { Random } from "@mlops/garch/random";
import { sha256 } from "@mlops/models";
import type { z } from "zod";
import { parseCsv, withDatasetErrors } from "./csv.js";
import { DatasetError, OptionError } from "./errors.js";
import { MAX_SEED } from "./forest/options.js";

/** Every class needs at least this many rows, so a stratified 80/20 split leaves it ≥ 1 test row. */
export const MIN_ROWS_PER_CLASS = 5;

/** Fraction of each class training holds out when the file has no split column. */
export const TEST_FRACTION = 0.2;

/** A validated, numeric labelled table: what scoring a model needs. */
export interface LabelledTable {
  /** Feature column names, in file order (in `features` order when it is given). */
  readonly featureNames: readonly string[];
  /** The label column's name. */
  readonly labelName: string;
  /**
   * Class names; class index k is `classNames[k]`. Order: ascending numeric order when every
   * label is an integer, else ascending code-point order of the label strings.
   */
  readonly classNames: readonly string[];
  /** Row-major features: row i, feature j at `x[i * featureNames.length + j]`. */
  readonly x: Float64Array;
  /** Class index of each row, 0..classNames.length−1. */
  readonly y: Int32Array;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  /**
   * The file's columns read as neither feature, label nor split: those a `features` list leaves
   * out, in file order (none without one).
   */
  readonly ignoredColumns: readonly string[];
}

/** A validated, numeric classification dataset: a table training can learn from, and its split. */
export interface Dataset extends LabelledTable {
  /** Rows of the training and test parts: the `split` column's, or seeded stratified. */
  readonly split: DatasetSplit;
  /** Where the split came from. */
  readonly splitSource: "column" | "stratified";
}

/** Row indexes (ascending) of the training and the held-out parts. */
export interface DatasetSplit {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** How to read a dataset. */
export interface DatasetOptions {
  /** Name of the target column. */
  label: string;
  /**
   * Name of the optional column whose values (`train` / `test`) fix the split.
   * @default "split"
   */
  splitColumn?: string;
  /**
   * Fraction of each class held out when the file has no split column; in (0, 1).
   * @default TEST_FRACTION
   */
  testFraction?: number;
  /**
   * Seed of the stratified split when the file has no split column.
   * @default 42
   */
  seed?: number;
  /**
   * The feature columns to read, in this order (a model's features): the file's other columns
   * but the label and split are left unread and named in `ignoredColumns`; a missing one is a
   * {@link DatasetError} naming it.
   * @default every column but the label and split, in file order
   */
  features?: readonly string[];
}

/** What reading a table to score a model on takes. */
export type LabelledTableOptions = Pick<DatasetOptions, "label" | "splitColumn" | "features">;

/** The bytes of the data file at `path`; one that cannot be read is a DatasetError naming it. */
export async function readDataFile(path: string): Promise<Buffer> {
  try {
    return await readBoundedFile(path);
  } catch (error) {
    throw new DatasetError(`cannot read ${path}: ${fileErrorReason(error)}`);
  }
}

/** Reads and validates a CSV file; see {@link parseDataset}. */
export async function loadDataset(path: string, options: DatasetOptions): Promise<Dataset> {
  return parseDataset(await readDataFile(path), options);
}

/** Reads and validates a CSV file to score a model on; see {@link parseLabelledTable}. */
export async function loadLabelledTable(
  path: string,
  options: LabelledTableOptions,
): Promise<LabelledTable> {
  return parseLabelledTable(await readDataFile(path), options);
}

const INTEGER = /^[+-]?\d+$/;

/** What a header read as one column says about a file separated by something else than commas. */
function separatorHint(header: readonly string[]): string {
  if (header.length !== 1) return "";
  const other = [";", "\t", "|"].find((separator) => header[0].includes(separator));
  return other === undefined
    ? ""
    : `; the header reads as one column: fields must be separated by commas, not ${JSON.stringify(other)}`;
}

/**
 * The file's text. Bytes that are not UTF-8 (a file saved as Latin-1 or Windows-1252) are refused
 * with the first line that holds them: replaced by U+FFFD, "sí" and "sé" would become one class.
 */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const strict = new TextDecoder("utf-8", { fatal: true });
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        strict.decode(bytes.subarray(start, i));
      } catch {
        break;
      }
      line++;
      start = i + 1;
    }
    throw new DatasetError("is not UTF-8 text: save the file as UTF-8", { line });
  }
}

/**
 * Validates a CSV's bytes (UTF-8) into a {@link Dataset}: a {@link parseLabelledTable} table with
 * ≥ 2 classes of ≥ {@link MIN_ROWS_PER_CLASS} rows each and (with a split column) every class
 * present in both parts. What a model's manifest records must also fit its feature schema
 * (`FeatureSchemaSchema` of `@mlops/contracts`): at most MAX_FEATURES feature columns, feature
 * names, the label's name and every class value within the schema's lengths, and no more classes
 * than it allows; refused here, before anything is trained. Errors name the row and column.
 */
export function parseDataset(bytes: Uint8Array, options: DatasetOptions): Dataset {
  const testFraction = options.testFraction ?? TEST_FRACTION;
  const seed = options.seed ?? 42;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new OptionError("testFraction", "must be a number in (0, 1)", testFraction);
  }
  checkSeed(seed);
  const { table, labels, lines, parts, splitColumn } = readTable(bytes, options);
  const { y, classNames, labelName } = table;
  checkClassCounts(y, classNames, labelName);
  checkClassLabels(classNames, labels, lines, labelName);
  const split =
    parts !== null
      ? splitFromColumn(parts, y, classNames, splitColumn)
      : stratifiedSplit(y, classNames.length, testFraction, seed);
  return { ...table, split, splitSource: parts !== null ? "column" : "stratified" };
}

/**
 * Validates a CSV's bytes (UTF-8) into a {@link LabelledTable}: a header of unique non-empty
 * names, the label column present, at least one feature column (the `features` named, when
 * given: the rest are not read), every feature cell a finite decimal number, no empty label and
 * (with a split column, not a feature) only `train`/`test` values; feature and label names a
 * model's feature schema can hold. Any number of classes and of rows per class: a held-out slice
 * may hold one class.
 */
export function parseLabelledTable(
  bytes: Uint8Array,
  options: LabelledTableOptions,
): LabelledTable {
  return readTable(bytes, options).table;
}

/** A CSV read into a table, with what training's further checks need. */
interface ReadTable {
  readonly table: LabelledTable;
  /** Each row's label, as in the file. */
  readonly labels: readonly string[];
  /** Each row's line in the file. */
  readonly lines: readonly number[];
  /** Each row's split column value, or null without a split column. */
  readonly parts: ("train" | "test")[] | null;
  readonly splitColumn: string;
}

function readTable(bytes: Uint8Array, options: LabelledTableOptions): ReadTable {
  const splitColumn = options.splitColumn ?? "split";
  const records = parseCsv(decodeUtf8(bytes));
  while (records.length > 1 && isBlank(records[records.length - 1].fields)) records.pop();
  if (records.length === 0) throw new DatasetError("the file is empty: a header is required");
  const header = records[0].fields.map((name) => name.trim());
  const seen = new Set<string>();
  header.forEach((name, j) => {
    if (name === "") throw new DatasetError(`header field ${j + 1} is empty`, { line: 1 });
    if (seen.has(name)) throw new DatasetError("duplicate column name", { line: 1, column: name });
    seen.add(name);
  });
  const labelIndex = header.indexOf(options.label);
  if (labelIndex < 0) {
    throw new DatasetError(
      `the label column is missing (columns: ${header.join(", ")})${separatorHint(header)}`,
      { column: options.label },
    );
  }
  const splitIndex = options.label === splitColumn ? -1 : header.indexOf(splitColumn);
  const others = header.flatMap((_, j) => (j === labelIndex || j === splitIndex ? [] : [j]));
  const featureIndexes =
    options.features?.map((name) => {
      const j = header.indexOf(name);
      if (j < 0 || j === labelIndex || j === splitIndex) {
        throw new DatasetError("the model needs this feature column", { column: name });
      }
      return j;
    }) ?? others;
  const ignored = others.filter((j) => !featureIndexes.includes(j));
  if (featureIndexes.length === 0) throw new DatasetError("no feature columns besides the label");
  checkFeatureColumns(featureIndexes, header);
  checkTargetName(header[labelIndex]);

  const rows = records.slice(1);
  if (rows.length === 0) throw new DatasetError("the file has a header but no rows");
  const nFeatures = featureIndexes.length;
  const x = new Float64Array(rows.length * nFeatures);
  const labels: string[] = new Array(rows.length);
  const parts: ("train" | "test")[] = [];
  rows.forEach((record, i) => {
    const where = { row: i + 1, line: record.line };
    if (record.fields.length !== header.length) {
      throw new DatasetError(
        isBlank(record.fields)
          ? `is a blank line; the header has ${header.length} fields (only trailing blank lines are skipped)`
          : `has ${record.fields.length} fields, the header has ${header.length}`,
        where,
      );
    }
    featureIndexes.forEach((j, f) => {
      x[i * nFeatures + f] = parseDecimal(record.fields[j], { ...where, column: header[j] });
    });
    const label = record.fields[labelIndex].trim();
    if (label === "")
      throw new DatasetError("the label is empty", { ...where, column: header[labelIndex] });
    labels[i] = label;
    if (splitIndex >= 0) {
      const part = record.fields[splitIndex].trim();
      if (part !== "train" && part !== "test") {
        throw new DatasetError(`${JSON.stringify(part)} is not "train" or "test"`, {
          ...where,
          column: splitColumn,
        });
      }
      parts.push(part);
    }
  });

  const classNames = orderClasses(labels);
  const classOf = new Map(classNames.map((name, k) => [name, k]));
  const y = Int32Array.from(labels, (label) => classOf.get(label)!);
  const labelName = header[labelIndex];
  return {
    table: {
      featureNames: featureIndexes.map((j) => header[j]),
      labelName,
      classNames,
      x,
      y,
      sha256: sha256(bytes),
      ignoredColumns: ignored.map((j) => header[j]),
    },
    labels,
    lines: rows.map((record) => record.line),
    parts: splitIndex >= 0 ? parts : null,
    splitColumn,
  };
}

/** The classifier branch of the manifest's feature schema: the limits a data set must fit. */
const ClassifierSchema = FeatureSchemaSchema.options[0].shape;

/** The longest a column name or value shown in a message gets. */
const SHOWN_CHARS = 40;

/** The limit a `too_big` issue names, or undefined for any other issue. */
function maximumOf(issue: z.core.$ZodIssue | undefined): number | undefined {
  return issue?.code === "too_big" ? Number(issue.maximum) : undefined;
}

/**
 * Refuses feature columns a model's feature schema cannot record: more than MAX_FEATURES, or a
 * name longer than the schema allows.
 */
function checkFeatureColumns(featureIndexes: readonly number[], header: readonly string[]): void {
  if (featureIndexes.length > MAX_FEATURES) {
    throw new DatasetError(
      `the header has ${featureIndexes.length} feature columns; a model takes at most ${MAX_FEATURES} features`,
      { line: 1 },
    );
  }
  const parsed = ClassifierSchema.features.safeParse(
    featureIndexes.map((j) => ({ name: header[j], type: "number" })),
  );
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const f = issue?.path[0];
  const j = typeof f === "number" ? featureIndexes[f] : undefined;
  if (j === undefined) throw new DatasetError(`feature columns: ${issue?.message}`, { line: 1 });
  const name = header[j];
  const max = maximumOf(issue);
  throw new DatasetError(
    max === undefined
      ? `header field ${j + 1}: ${issue?.message}`
      : `header field ${j + 1}: a feature name has at most ${max} characters (this one has ${name.length})`,
    { line: 1, column: truncateText(name, SHOWN_CHARS) },
  );
}

/** Refuses a label column whose name a model's feature schema cannot record as its target. */
function checkTargetName(labelName: string): void {
  const parsed = ClassifierSchema.target.safeParse(labelName);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const max = maximumOf(issue);
  throw new OptionError(
    "--label",
    max === undefined
      ? `names a column a model cannot record as its target: ${issue?.message}`
      : `must name a column of at most ${max} characters, the longest target name a model records (this one has ${labelName.length})`,
    truncateText(labelName, SHOWN_CHARS),
  );
}

/**
 * Refuses classes a model's feature schema cannot record: more of them than it allows, or a
 * value longer than a class label may be (named with the first row that holds it).
 */
function checkClassLabels(
  classNames: readonly string[],
  labels: readonly string[],
  lines: readonly number[],
  labelName: string,
): void {
  const parsed = ClassifierSchema.classes.safeParse(classNames);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const max = maximumOf(issue);
  const k = issue?.path[0];
  if (typeof k !== "number") {
    throw new DatasetError(
      max === undefined
        ? `the classes: ${issue?.message}`
        : `has ${classNames.length} classes; a model predicts at most ${max}`,
      { column: labelName },
    );
  }
  const value = classNames[k]!;
  const i = labels.indexOf(value);
  throw new DatasetError(
    max === undefined
      ? `the class ${JSON.stringify(truncateText(value, SHOWN_CHARS))}: ${issue?.message}`
      : `the class ${JSON.stringify(truncateText(value, SHOWN_CHARS))} has ${value.length} characters; a class label has at most ${max}`,
    { row: i + 1, line: lines[i], column: labelName },
  );
}

/**
 * A CSV cell as a finite decimal number (surrounding spaces allowed); anything else — empty,
 * `NaN`, hex, out of double range — throws a {@link DatasetError} at `where`.
 */
export function parseDecimal(
  cell: string,
  where: { row?: number; line?: number; column?: string },
): number {
  return withDatasetErrors(() => readNumber(cell, where));
}

/**
 * Splits row indexes per class: each class's rows are shuffled with `seed` and
 * round(testFraction · count) of them (at least 1, at most count − 1) are held out.
 */
export function stratifiedSplit(
  y: Int32Array,
  nClasses: number,
  testFraction: number,
  seed: number,
): DatasetSplit {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new OptionError("testFraction", "must be a number in (0, 1)", testFraction);
  }
  checkSeed(seed);
  const rng = new Random(seed);
  const isTest = new Uint8Array(y.length);
  for (let k = 0; k < nClasses; k++) {
    const members = Int32Array.from(y.keys()).filter((i) => y[i] === k);
    if (members.length < 2) {
      throw new OptionError("y", `needs at least 2 rows of class ${k} to split`, members.length);
    }
    rng.shuffle(members);
    const nTest = Math.min(
      members.length - 1,
      Math.max(1, Math.round(testFraction * members.length)),
    );
    for (let t = 0; t < nTest; t++) isTest[members[t]] = 1;
  }
  const all = Int32Array.from(y.keys());
  return { train: all.filter((i) => isTest[i] === 0), test: all.filter((i) => isTest[i] === 1) };
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new OptionError("seed", `must be an integer in [0, ${MAX_SEED}]`, seed);
  }
}

function isBlank(fields: string[]): boolean {
  return fields.length === 1 && fields[0].trim() === "";
}

function orderClasses(labels: string[]): string[] {
  const distinct = [...new Set(labels)];
  if (distinct.every((label) => INTEGER.test(label))) {
    // Numeric order; "01" and "1" stay distinct classes, ordered by their string after that.
    return distinct.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  return distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function checkClassCounts(y: Int32Array, classNames: readonly string[], labelName: string): void {
  if (classNames.length < 2) {
    throw new DatasetError(`needs at least 2 classes, found ${classNames.length}`, {
      column: labelName,
    });
  }
  const counts = new Int32Array(classNames.length);
  for (const k of y) counts[k]++;
  counts.forEach((count, k) => {
    if (count < MIN_ROWS_PER_CLASS) {
      throw new DatasetError(
        `class ${JSON.stringify(classNames[k])} has ${count} rows; each class needs at least ${MIN_ROWS_PER_CLASS}`,
        { column: labelName },
      );
    }
  });
}

function splitFromColumn(
  parts: ("train" | "test")[],
  y: Int32Array,
  classNames: readonly string[],
  splitColumn: string,
): DatasetSplit {
  const all = Int32Array.from(y.keys());
  const split = {
    train: all.filter((i) => parts[i] === "train"),
    test: all.filter((i) => parts[i] === "test"),
  };
  for (const part of ["train", "test"] as const) {
    const present = new Set(Array.from(split[part], (i) => y[i]));
    classNames.forEach((name, k) => {
      if (!present.has(k)) {
        throw new DatasetError(
          `the ${part} part has no row of class ${JSON.stringify(name)}; every class must be in both parts`,
          { column: splitColumn },
        );
      }
    });
  }
  return split;
}

/** The given rows of a dataset as training input for {@link fitForest}-style consumers. */
export function takeRows(
  dataset: Dataset,
  rows: Int32Array,
): { x: Float64Array; y: Int32Array; nFeatures: number; classNames: readonly string[] } {
  const nFeatures = dataset.featureNames.length;
  return {
    ...selectRows(dataset.x, dataset.y, nFeatures, rows),
    nFeatures,
    classNames: dataset.classNames,
  };
}

/** Rows `rows` (in that order) of row-major features `x` and labels `y`. */
export function selectRows(
  x: Float64Array,
  y: Int32Array,
  nFeatures: number,
  rows: Int32Array,
): { x: Float64Array; y: Int32Array } {
  const picked = new Float64Array(rows.length * nFeatures);
  rows.forEach((row, i) => {
    picked.set(x.subarray(row * nFeatures, (row + 1) * nFeatures), i * nFeatures);
  });
  return { x: picked, y: Int32Array.from(rows, (row) => y[row]) };
}
