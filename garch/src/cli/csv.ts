/**
 * Reading a return series out of CSV text: RFC 4180 fields (quotes, doubled quotes, CRLF),
 * a header row, strict numbers. Errors name the line and the column.
 */

export class CsvError extends Error {
  override readonly name = "CsvError";
}

export interface CsvTable {
  readonly header: readonly string[];
  /** Data rows; `lines[i]` is the 1-based line number of `rows[i]` in the text. */
  readonly rows: readonly (readonly string[])[];
  readonly lines: readonly number[];
}

/** Splits CSV text into a header and rows of raw fields. */
export function parseCsv(text: string): CsvTable {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = "";
  let record: string[] = [];
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    field = "";
    // A blank line (one empty field) is not a record.
    if (!(record.length === 1 && record[0] === "")) {
      records.push(record);
      lines.push(recordLine);
    }
    record = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += c;
    i++;
  }
  if (quoted) throw new CsvError(`line ${recordLine}: a quoted field is not closed`);
  if (field !== "" || record.length > 0) endRecord();
  if (records.length === 0) throw new CsvError("the file is empty: expected a header row");
  const header = records[0]!.map((h) => h.trim());
  const width = header.length;
  for (let r = 1; r < records.length; r++) {
    if (records[r]!.length !== width) {
      throw new CsvError(
        `line ${lines[r]}: expected ${width} fields like the header, found ${records[r]!.length}`,
      );
    }
  }
  return { header, rows: records.slice(1), lines: lines.slice(1) };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A strict decimal number (no empty cells, NA, NaN, Infinity, hex or thousands separators). */
export function parseNumber(cell: string): number | undefined {
  const s = cell.trim();
  return NUMBER.test(s) ? Number(s) : undefined;
}

export interface Series {
  readonly column: string;
  readonly values: Float64Array;
}

/**
 * The named column, or else the first column whose first data cell is a number, as a
 * Float64Array. Every cell of the chosen column must be a finite number: the error names the
 * line and column of the first that is not.
 */
export function readSeries(text: string, column?: string): Series {
  const { header, rows, lines } = parseCsv(text);
  if (rows.length === 0) throw new CsvError("the file has a header but no data rows");
  let index: number;
  if (column !== undefined) {
    index = header.indexOf(column);
    if (index < 0) {
      throw new CsvError(`column "${column}" is not in the header (${header.join(", ")})`);
    }
  } else {
    index = header.findIndex((_, c) => parseNumber(rows[0]![c]!) !== undefined);
    if (index < 0) {
      throw new CsvError(
        `no column starts with a number (header: ${header.join(", ")}); name one with --column`,
      );
    }
  }
  const name = header[index]!;
  const values = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const value = parseNumber(rows[r]![index]!);
    if (value === undefined || !Number.isFinite(value)) {
      throw new CsvError(
        `line ${lines[r]}, column "${name}": ${JSON.stringify(rows[r]![index])} is not a finite number`,
      );
    }
    values[r] = value;
  }
  return { column: name, values };
}
