import { describeValue } from "@mlops/models";

/**
 * A problem with the input data. `row` is the 1-based data row (the header is not counted) and
 * `line` the 1-based line of the file where that row starts; both are absent for file-level
 * problems. `column` names the CSV column when one is at fault.
 */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  readonly row: number | undefined;
  readonly line: number | undefined;
  readonly column: string | undefined;

  constructor(message: string, where: { row?: number; line?: number; column?: string } = {}) {
    const place = [
      where.row === undefined ? "" : `row ${where.row}`,
      where.line === undefined ? "" : `(line ${where.line})`,
      where.column === undefined ? "" : `column "${where.column}"`,
    ]
      .filter((part) => part !== "")
      .join(" ");
    super(place === "" ? message : `${place}: ${message}`);
    this.row = where.row;
    this.line = where.line;
    this.column = where.column;
  }
}

/** An option (hyperparameter, split setting, metric argument) outside its allowed range. */
export class OptionError extends RangeError {
  override readonly name = "OptionError";
  /** The option's name as the caller spelled it, e.g. `maxFeatures`. */
  readonly option: string;
  /** The rule the value broke, e.g. `must be an integer ≥ 1`. */
  readonly rule: string;

  /** The value that broke it. */
  readonly value: unknown;

  /** Without a value (`undefined`: the option was not given), the message names none. */
  constructor(option: string, rule: string, value: unknown) {
    super(
      value === undefined ? `${option} ${rule}` : `${option} ${rule} (got ${describeValue(value)})`,
    );
    this.option = option;
    this.rule = rule;
    this.value = value;
  }
}

/** Throws an OptionError naming `option` unless `value` is an integer ≥ 1. */
export function requirePositiveInteger(option: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new OptionError(option, "must be an integer ≥ 1", value);
  }
}

/**
 * Most worker threads a job starts. Each thread is an isolate of its own (~10 MB at least): a
 * thousand asked for ran this process out of memory at start; training is CPU-bound, so more
 * threads than cores only add memory.
 */
export const MAX_THREADS = 64;

/** Throws an OptionError naming `threads` unless it is an integer from 1 to MAX_THREADS. */
export function requireThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new OptionError("threads", `must be an integer in [1, ${MAX_THREADS}]`, threads);
  }
}

/** The signals that interrupt a job: Ctrl-C, and the stop a supervisor sends. */
export type InterruptSignal = "SIGINT" | "SIGTERM";

/**
 * A job stopped by SIGINT or SIGTERM before it finished. Its run is marked KILLED, as MLflow
 * marks a run a KeyboardInterrupt ends, and nothing is registered.
 */
export class Interrupted extends Error {
  override readonly name = "Interrupted";

  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
  }

  /** The exit code a shell gives a process the signal ended: 128 + its number. */
  get exitCode(): number {
    return this.signal === "SIGINT" ? 130 : 143;
  }
}
