/**
 * The one CSV reader of the platform (the `garch` CLI and `@mlops/training` both use it):
 * RFC 4180 records, a header-and-rows table over them, strict decimal numbers, and a numeric
 * column read out as a series. Every error is a {@link CsvError} that names where it happened.
 */

/** Where in a CSV a problem is: all optional; `row` is 1-based and does not count the header. */
export interface CsvPlace {
  readonly row?: number;
  /** The 1-based line of the text where the record starts. */
  readonly line?: number;
  readonly column?: string;
}

/**
 * Malformed CSV or a bad cell. `reason` is the message without its place; `message` is
 * `line L, column "c": reason` (each part only when known). Callers with their own error type
 * map `reason` and the place fields onto it.
 */
export class CsvError extends Error {
  override readonly name = "CsvError";
  readonly reason: string;
  readonly row: number | undefined;
  readonly line: number | undefined;
  readonly column: string | undefined;

  constructor(reason: string, where: CsvPlace = {}) {
    const place = [
      where.line === undefined ? "" : `line ${where.line}`,
      where.column === undefined ? "" : `column ${JSON.stringify(where.column)}`,
    ]
      .filter((part) => part !== "")
      .join(", ");
    super(place === "" ? reason : `${place}: ${reason}`);
    this.reason = reason;
    this.row = where.row;
    this.line = where.line;
    this.column = where.column;
  }
}

/** One CSV record with the 1-based line of the text where it starts. */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/**
 * Splits comma-separated text (RFC 4180) into records: fields may be quoted with `"`, a quote
 * inside a quoted field is written `""`, quoted fields may hold commas and line breaks, and
 * records end with LF, CRLF or CR. A UTF-8 byte-order mark and one final line break are ignored;
 * an empty line is a record of one empty field. Malformed quoting (an unclosed quoted field, a
 * quote inside an unquoted field, a character after a closing quote) throws a {@link CsvError}
 * naming the line.
 */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  // Whether the current field was quoted: a quoted field may only be followed by a separator.
  let quoted = false;

  const endField = (): void => {
    fields.push(field);
    field = "";
    quoted = false;
  };
  const endRecord = (): void => {
    endField();
    records.push({ fields, line: recordLine });
    fields = [];
  };

  while (i < n) {
    const c = text[i];
    if (c === '"' && field === "" && !quoted) {
      const start = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvError("a quoted field is not closed", { line: start });
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        // A line break inside the field: LF, CRLF (counted at its LF) or a lone CR.
        if (q === "\n" || (q === "\r" && text[i + 1] !== "\n")) line++;
        field += q;
        i++;
      }
      quoted = true;
      if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        throw new CsvError("unexpected character after a closing quote", { line });
      }
      continue;
    }
    if (c === ",") {
      endField();
      i++;
    } else if (c === "\n" || c === "\r") {
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (c === '"') throw new CsvError("a quote inside an unquoted field", { line });
      field += c;
      i++;
    }
  }
  // Text not ending with a line break still ends its last record.
  if (field !== "" || fields.length > 0 || quoted) endRecord();
  return records;
}

export interface CsvTable {
  /** The first record's fields, trimmed. */
  readonly header: readonly string[];
  /** The 1-based line of the header (after any blank lines before it); 1 when not given. */
  readonly headerLine?: number;
  /** Data rows; `lines[i]` is the 1-based line number of `rows[i]` in the text. */
  readonly rows: readonly (readonly string[])[];
  readonly lines: readonly number[];
}

/**
 * {@link parseCsvRecords} as a header (the first record) and data rows. Empty lines (records of
 * one empty field) are skipped, except inside a one-column table: there an empty line is a row
 * with an empty cell, so that a missing value is not silently dropped; empty lines at the end are
 * always ignored. Throws a {@link CsvError} when there is no header or a row is not as wide as it.
 */
export function parseCsv(text: string): CsvTable {
  const records = parseCsvRecords(text);
  const blank = (r: CsvRecord) => r.fields.length === 1 && r.fields[0] === "";
  let end = records.length;
  while (end > 0 && blank(records[end - 1])) end--;
  const start = records.findIndex((r) => !blank(r));
  if (start < 0) throw new CsvError("the file is empty: expected a header row");
  const header = records[start].fields.map((h) => h.trim());
  const rows = records
    .slice(start + 1, end)
    .filter((record) => header.length === 1 || !blank(record));
  rows.forEach((record, r) => {
    if (record.fields.length !== header.length) {
      throw new CsvError(
        `expected ${header.length} fields like the header, found ${record.fields.length}`,
        { row: r + 1, line: record.line },
      );
    }
  });
  return {
    header,
    headerLine: records[start].line,
    rows: rows.map((r) => r.fields),
    lines: rows.map((r) => r.line),
  };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A strict decimal number (surrounding spaces allowed; no empty cells, NA, NaN, Infinity, hex or
 * thousands separators); undefined otherwise. May be ±Infinity when the decimal overflows.
 */
export function parseNumber(cell: string): number | undefined {
  const s = cell.trim();
  return NUMBER.test(s) ? Number(s) : undefined;
}

/** {@link parseNumber}, finite, or a {@link CsvError} at `where` saying what is wrong. */
export function readNumber(cell: string, where: CsvPlace = {}): number {
  const value = parseNumber(cell);
  if (value === undefined) {
    const text = cell.trim();
    throw new CsvError(
      text === "" ? "is empty" : `${JSON.stringify(text)} is not a decimal number`,
      where,
    );
  }
  if (!Number.isFinite(value)) throw new CsvError(`${cell.trim()} is out of range`, where);
  return value;
}

export interface Series {
  readonly column: string;
  readonly values: Float64Array;
}

/**
 * The named column of `table`, or else the first column whose first data cell is a number, as
 * a Float64Array. Every cell of the chosen column must be a finite number: the error names the
 * row, line and column of the first that is not. A named column that the header holds twice is
 * refused (the error names the header's line): which of them was meant is anyone's guess.
 */
export function tableSeries(table: CsvTable, column?: string): Series {
  const { header, rows, lines } = table;
  if (rows.length === 0) throw new CsvError("the file has a header but no data rows");
  let index: number;
  if (column !== undefined) {
    index = header.indexOf(column);
    if (index < 0) {
      throw new CsvError(`column "${column}" is not in the header (${header.join(", ")})`);
    }
    const again = header.indexOf(column, index + 1);
    if (again >= 0) {
      throw new CsvError(
        `the header names this column more than once (fields ${index + 1} and ${again + 1}): rename one so the column is not ambiguous`,
        { line: table.headerLine ?? 1, column },
      );
    }
  } else {
    index = header.findIndex((_, c) => parseNumber(rows[0][c]) !== undefined);
    if (index < 0) {
      throw new CsvError(
        `no column starts with a number (header: ${header.join(", ")}); name one with --column`,
      );
    }
  }
  const name = header[index];
  const values = Float64Array.from(rows, (row, r) =>
    readNumber(row[index], { row: r + 1, line: lines[r], column: name }),
  );
  return { column: name, values };
}

/**
 * A warning when `series` looks like price levels rather than returns: every value positive and
 * each close to the one before (lag-1 autocorrelation above 0.9; returns have next to none). A
 * GARCH model of levels fits the trend's wander, not volatility. Undefined for anything else,
 * and for fewer than 20 values.
 */
export function levelsWarning(series: Series): string | undefined {
  const x = series.values;
  const n = x.length;
  if (n < 20) return undefined;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (!(x[i]! > 0)) return undefined;
    mean += x[i]!;
  }
  mean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    den += d * d;
    if (i > 0) num += d * (x[i - 1]! - mean);
  }
  const rho = den > 0 ? num / den : 0;
  if (!(rho > 0.9)) return undefined;
  return `column "${series.column}" looks like price levels, not returns (every value positive, lag-1 autocorrelation ${rho.toFixed(2)}): GARCH models returns, e.g. 100 * log(p[t] / p[t-1])`;
}

/** {@link tableSeries} of {@link parseCsv}`(text)`. */
export function readSeries(text: string, column?: string): Series {
  return tableSeries(parseCsv(text), column);
}
