/**
 * `garch`: fit GARCH(p,q) models to a CSV column and forecast, from the command line.
 *
 *   pnpm garch fit FILE.csv [--column NAME] [--p 1] [--q 1] [--mean constant] [--dist normal]
 *                           [--init fcp] [--stationarity on] [--horizon 10] [--repeat 1] [--json]
 *   pnpm garch select FILE.csv [--max-p 2] [--max-q 2] [--dist normal,t] [--criterion bic] [--json]
 *
 * `--json` prints exactly one JSON object on stdout (the contract scripts rely on). Exit codes:
 * 0 done (a fit that did not converge is reported, not an error), 2 bad input (a file that cannot
 * be read or written included), 1 internal error.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { CsvError, levelsWarning, readSeries, type Series } from "../io/csv.js";
import {
  type Forecast,
  fit,
  type GarchFit,
  GarchInputError,
  MAX_ORDER,
  selectOrder,
} from "../src/index.js";
import {
  checkRepeats,
  FLAG_OPTIONS,
  fitFlags,
  modelOptions,
  selectFlags,
  UsageError,
  validate,
} from "./options.js";
import {
  candidateLine,
  fitJson,
  fitSummary,
  forecastOverflow,
  initLabel,
  meanLabel,
} from "./report.js";
import { saveText } from "./save.js";
import { median, warmUp } from "./timing.js";

const HELP = `garch — GARCH(p,q) estimation and forecasting

Usage:
  garch fit FILE.csv [options]      fit one model and forecast
  garch select FILE.csv [options]   fit a grid of orders and distributions, pick the best

Order convention: p = number of ARCH terms (alpha), q = number of GARCH terms (beta).

Options (fit and select):
  --column NAME           column of returns (default: the first column starting with a number)
  --mean zero|constant|ar:K   conditional mean (default constant)
  --init fcp|ewma|X       pre-sample variance: fcp (mean squared residual at the current mean),
                          ewma (arch's backcast), or a positive number (default fcp)
  --stationarity on|off   enforce sum(alpha) + sum(beta) < 1 (default on)
  --variance-targeting    omega from the sample variance instead of estimated
  --horizon H             forecast steps (default 10); refused where the forecast of an
                          explosive fit (--stationarity off) overflows a double
  --save FILE             write the fitted model as JSON (restorable with GarchFit.fromJSON);
                          a symbolic link is followed, a device or FIFO written in place
  --json                  print one JSON object instead of the summary
An option that takes a value is given at most once.
fit only:
  --p P --q Q             orders (default 1 and 1)
  --dist normal|t|skewt|ged   innovation distribution (default normal)
  --repeat N              time N in-process fits after untimed warm-up fits (until the fit
                          time stops falling, 0.25 to 3 s); fit_ms is their median (default 1)
select only:
  --max-p P --max-q Q     grid bounds, 1 to ${MAX_ORDER} (default 2 and 2)
  --dist LIST             comma-separated distributions to try (default normal)
  --criterion aic|bic     selection criterion (default bic)
                          best.fit_ms (JSON) and "in N ms" time the chosen model's own fit;
                          select_ms the whole grid
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: {
        ...FLAG_OPTIONS,
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Largest input read: 1 GiB (a CSV of the 10^7 returns a fit takes at most is about 200 MB). An
 * endless device or pipe (/dev/zero) fails there instead of filling memory, as readFileSync let
 * it (24 GB in under a minute). The workspace's CLIs read through `readBoundedFile` in
 * @mlops/contracts/files.
 */
const MAX_INPUT_BYTES = 2 ** 30;

/** The text of `file`, read a MiB at a time up to MAX_INPUT_BYTES. */
function readText(file: string): string {
  const fd = openSync(file, "r");
  try {
    if (fstatSync(fd).size > MAX_INPUT_BYTES) throw new Error("EFBIG");
    // Each buffer is filled before the next is made (a pipe gives 64 KiB a read).
    const chunks: Buffer[] = [];
    let total = 0;
    let chunk = Buffer.allocUnsafe(0);
    let filled = 0;
    for (;;) {
      if (filled === chunk.length) {
        if (filled > 0) chunks.push(chunk);
        chunk = Buffer.allocUnsafe(Math.min(2 ** 20, MAX_INPUT_BYTES + 1 - total));
        filled = 0;
      }
      const read = readSync(fd, chunk, filled, chunk.length - filled, null);
      if (read === 0) {
        return Buffer.concat([...chunks, chunk.subarray(0, filled)], total).toString("utf8");
      }
      filled += read;
      total += read;
      if (total > MAX_INPUT_BYTES) throw new Error("EFBIG");
    }
  } finally {
    closeSync(fd);
  }
}

function readInput(file: string | undefined, column: string | undefined): Series {
  if (file === undefined) throw new UsageError("missing FILE.csv (see --help)");
  let text: string;
  try {
    text = readText(file);
  } catch (error) {
    const reason = systemReason(error);
    throw new UsageError(
      `cannot read ${file}: ${reason === "EFBIG" ? "it holds more than 1 GiB" : reason}`,
    );
  }
  const series = readSeries(text, column);
  const warning = levelsWarning(series);
  if (warning !== undefined) process.stderr.write(`garch: warning: ${warning}\n`);
  return series;
}

/** The system's code for a file error (ENOENT, EISDIR…), else its message. */
function systemReason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** `--save`: see save.ts (a symbolic link is followed, a device or FIFO written in place). */
function saveFit(path: string, result: GarchFit): void {
  try {
    saveText(path, `${JSON.stringify(result.toJSON())}\n`);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${systemReason(error)}`);
  }
}

/** Refuses a forecast that overflows (an explosive fit over a long --horizon). */
function checkForecast(fitted: GarchFit, forecast: Forecast): void {
  const overflow = forecastOverflow(fitted, forecast);
  if (overflow !== undefined) throw new UsageError(overflow);
}

function runFit(file: string | undefined, raw: Record<string, unknown>): string {
  const flags = validate(fitFlags, raw);
  const series = readInput(file, flags.column);
  const options = modelOptions(flags, flags);
  warmUp(() => fit(series.values, options));
  const times: number[] = [];
  let result: GarchFit | undefined;
  for (let i = 0; i < flags.repeat; i++) {
    const t0 = performance.now();
    result = fit(series.values, options);
    times.push(performance.now() - t0);
  }
  const fitted = result!;
  const forecast = fitted.forecast(flags.horizon);
  checkForecast(fitted, forecast);
  if (flags.save) saveFit(flags.save, fitted);
  const ms = median(times);
  return flags.json
    ? `${JSON.stringify(fitJson(fitted, ms, forecast))}\n`
    : fitSummary(fitted, ms, forecast, `${file} [${series.column}]`);
}

function runSelect(file: string | undefined, raw: Record<string, unknown>): string {
  const flags = validate(selectFlags, raw);
  const series = readInput(file, flags.column);
  // Each candidate's fit is timed from the end of the one before (the first from the start,
  // the options' and series' checks included): best.fit_ms is the chosen model's own fit.
  const t0 = performance.now();
  const ends: number[] = [];
  const { best, candidates } = selectOrder(series.values, {
    maxP: flags["max-p"],
    maxQ: flags["max-q"],
    dists: flags.dist,
    criterion: flags.criterion,
    base: modelOptions(flags, { p: 1, q: 1, dist: "normal" }),
    onCandidate: () => {
      ends.push(performance.now());
    },
  });
  const selectMs = performance.now() - t0;
  const at = candidates.findIndex(
    (c) => c.p === best.spec.p && c.q === best.spec.q && c.dist === best.spec.dist,
  );
  const ms = ends[at]! - (at === 0 ? t0 : ends[at - 1]!);
  const forecast = best.forecast(flags.horizon);
  checkForecast(best, forecast);
  if (flags.save) saveFit(flags.save, best);
  if (flags.json) {
    return `${JSON.stringify({ criterion: flags.criterion, best: fitJson(best, ms, forecast), candidates, select_ms: selectMs })}\n`;
  }
  const lines = [
    `Order selection by ${flags.criterion.toUpperCase()} · mean ${meanLabel(best.spec)} · init ${initLabel(best.spec)} · ${candidates.length} candidates in ${selectMs.toFixed(2)} ms`,
    ...candidates.map(candidateLine),
    "",
    fitSummary(best, ms, forecast, `${file} [${series.column}]`),
  ];
  return lines.join("\n");
}

/** Runs one command; returns the exit code (output goes to stdout, errors to stderr). */
export function main(argv: string[]): number {
  try {
    const { values, positionals, tokens } = parse(argv);
    const [command, file, ...extra] = positionals;
    if (values.help || command === undefined || command === "help") {
      process.stdout.write(HELP);
      return 0;
    }
    checkRepeats(tokens, command);
    if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(" ")}`);
    const { help: _help, ...flags } = values;
    if (command === "fit") process.stdout.write(runFit(file, flags));
    else if (command === "select") process.stdout.write(runSelect(file, flags));
    else throw new UsageError(`unknown command "${command}" (expected fit or select; see --help)`);
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof CsvError ||
      error instanceof GarchInputError
    ) {
      process.stderr.write(`garch: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`garch: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
