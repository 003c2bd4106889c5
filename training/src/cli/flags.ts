/** Option parsers and defaults the command groups share; each error names the flag and the rule. */
import { type EnvRecord, MAX_TIMER_MS, parseArtifactDir } from "@mlops/contracts";
import { secondsFlag } from "@mlops/release";
import { type Command, InvalidArgumentError } from "commander";
import { MAX_THREADS, OptionError } from "../errors.js";
import { MAX_ESTIMATORS, MAX_SEED } from "../forest/options.js";
import { PROMOTION_METRICS } from "../jobs/promotion.js";

/**
 * `--artifacts <dir>`'s help: where a command writes a new model's files. The flag has no
 * commander default: unset, `artifactRoot` reads the environment's folder when the command runs
 * (so `--help` works whatever the environment holds).
 */
export function artifactsHelp(what: string): string {
  return `${what} (default: MLOPS_ARTIFACT_DIR, else .mlops/artifacts)`;
}

/** The folder `--artifacts` names, else the environment's (`MLOPS_ARTIFACT_DIR`, …). */
export function artifactRoot(flag: string | undefined, env: EnvRecord): string {
  return flag ?? parseArtifactDir(env);
}

/**
 * An integer ≥ `min` and ≤ `max` (without `max`, ≤ Number.MAX_SAFE_INTEGER: past it, the text
 * would not be the number read).
 */
export function integer(flag: string, min: number, max?: number) {
  const most = max ?? Number.MAX_SAFE_INTEGER;
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > most) {
      // The safe-integer bound is named only to the one who went past it.
      const range = max === undefined && !(n > most) ? `≥ ${min}` : `in [${min}, ${most}]`;
      throw new InvalidArgumentError(
        `${flag} must be an integer ${range} (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

/** `--threads`: worker threads, 1 to the jobs' MAX_THREADS. */
export const threadsFlag = integer("--threads", 1, MAX_THREADS);

/** `--trees`: trees of a forest or boosting rounds, 1 to the trainers' MAX_ESTIMATORS. */
export const treesFlag = integer("--trees", 1, MAX_ESTIMATORS);

/** `--seed`: an integer in [0, MAX_SEED], the seeds the trainers and the split take. */
export const seedFlag = integer("--seed", 0, MAX_SEED);

/** `--data <file>`: a path, not empty (an empty one names no file). */
export function dataFlag(text: string): string {
  if (text.trim() === "") {
    throw new InvalidArgumentError("--data must name a file (got an empty path)");
  }
  return text;
}

/**
 * `--metric` of a promotion gate (`mlops gate`, `mlops train --auto-promote`): one of
 * PROMOTION_METRICS; throws an {@link OptionError} naming the flag.
 */
export function checkGateMetric(metric: string): string {
  if (!(PROMOTION_METRICS as readonly string[]).includes(metric)) {
    throw new OptionError("--metric", `must be one of ${PROMOTION_METRICS.join(", ")}`, metric);
  }
  return metric;
}

/**
 * A number as people write one on a command line: an optional sign, digits with an optional
 * fraction (or a leading `.`), an optional exponent in either case (`5e-2`, and `1E-05` as Python
 * and Azure ML print sampled values): `20`, `-1.25`, `.05`, `5.0E-4`. `Number()` alone would also
 * read `0x10` as 16, `0b1` as 1, `" .5"` as 0.5, `""` as 0 and `Infinity` as a number.
 */
const NUMBER_LITERAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `text` as a number when it is written as {@link NUMBER_LITERAL} says and is finite (`1e400` is
 * not), else undefined: the one reading of a number every flag of the CLI shares.
 */
export function decimalNumber(text: string): number | undefined {
  if (!NUMBER_LITERAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The rule a flag's text breaks when {@link decimalNumber} does not read it. */
export const DECIMAL_RULE = "must be a finite decimal number, such as 20, 0.5, .05 or 5e-2";

/** A parser of `flag`: a finite number written as {@link NUMBER_LITERAL} says. */
export function number(flag: string) {
  return (text: string): number => {
    const value = decimalNumber(text);
    if (value === undefined) {
      throw new InvalidArgumentError(`${flag} ${DECIMAL_RULE} (got ${JSON.stringify(text)})`);
    }
    return value;
  };
}

/** A duration in seconds, > 0 and at most what Node's timers keep (MAX_TIMER_MS, ~24.8 days). */
export function seconds(flag: string) {
  return secondsFlag(flag, Math.floor(MAX_TIMER_MS / 1000));
}

/** A subcommand of `parent` that reads a labelled CSV: `--data` and `--label` are required. */
export function datasetCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption(
      "--data <file>",
      "CSV with a header, the label column and numeric features",
      dataFlag,
    )
    .requiredOption("--label <column>", "the label column");
}
