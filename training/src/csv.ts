import { DatasetError } from "./errors.js";

/** One CSV record with the 1-based line of the file where it starts. */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/**
 * Parses comma-separated text (RFC 4180): fields may be quoted with `"`, a quote inside a quoted
 * field is written `""`, quoted fields may hold commas and line breaks, and records end with LF
 * or CRLF. A UTF-8 byte-order mark and one final line break are ignored. Malformed quoting throws
 * a {@link DatasetError} naming the line.
 */
export function parseCsv(text: string): CsvRecord[] {
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
        if (i >= n) throw new DatasetError(`unterminated quoted field starting on line ${start}`);
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
        if (q === "\n") line++;
        field += q;
        i++;
      }
      quoted = true;
      if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        throw new DatasetError(`line ${line}: unexpected character after a closing quote`);
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
      if (c === '"') throw new DatasetError(`line ${line}: a quote inside an unquoted field`);
      field += c;
      i++;
    }
  }
  // Text not ending with a line break still ends its last record.
  if (field !== "" || fields.length > 0 || quoted) endRecord();
  return records;
}
