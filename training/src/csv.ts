import { CsvError, type CsvRecord, parseCsvRecords } from "@mlops/garch/csv";
import { DatasetError } from "./errors.js";

export type { CsvRecord };

/**
 * `@mlops/garch`'s CSV reader with training's error type: runs `read` and rethrows a
 * {@link CsvError} as a {@link DatasetError}. An error at a data row keeps its place (row, line,
 * column); a file-level one (malformed quoting, no header) keeps its message, which already names
 * the line when there is one.
 */
export function withDatasetErrors<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    if (error.row === undefined) throw new DatasetError(error.message);
    throw new DatasetError(error.reason, error);
  }
}

/**
 * Parses comma-separated text (RFC 4180) into records with the line each starts on; see
 * `parseCsvRecords` of `@mlops/garch`. Malformed quoting throws a {@link DatasetError} naming the
 * line.
 */
export function parseCsv(text: string): CsvRecord[] {
  return withDatasetErrors(() => parseCsvRecords(text));
}
