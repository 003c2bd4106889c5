/**
 * From user options to a checked model: `checkSpec` applies the defaults and rejects impossible
 * orders and options; `checkSeries` rejects series the model cannot be estimated on. Both throw
 * `GarchInputError` with a message that names the field and the rule.
 */
import { GarchInputError } from "./errors.js";
import { formatValue } from "./format.js";
import { seriesUnit } from "./scale.js";
import type { DistName, GarchOptions, GarchSpec, InitSpec, MeanSpec } from "./types.js";

/** Largest ARCH or GARCH order accepted: beyond it a GARCH model is a modelling error. */
export const MAX_ORDER = 20;
/** Largest AR order of the mean. */
export const MAX_AR_LAGS = 50;
/** Observations required per estimated parameter (see `minimumLength`). */
export const OBS_PER_PARAM = 10;
/**
 * The longest series the estimators and diagnostics take (80 MB as doubles): a bound checked
 * before anything is allocated, so an array-like's `length` cannot ask for gigabytes.
 */
export const MAX_SERIES_LENGTH = 10_000_000;

/**
 * The length of series `x` (named `name` in errors): `x` must be an array or a typed array (not
 * any object with a `length`) of at most MAX_SERIES_LENGTH values.
 */
export function seriesLength(x: unknown, name: string): number {
  const isSeries = Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
  if (!isSeries) throw new GarchInputError("INVALID_OPTION", `${name} must be an array of numbers`);
  const n = (x as ArrayLike<number>).length;
  if (n > MAX_SERIES_LENGTH) {
    throw new GarchInputError(
      "OUT_OF_RANGE",
      `${name} has ${n} values; at most ${MAX_SERIES_LENGTH} are taken`,
    );
  }
  return n;
}

const DISTS: readonly DistName[] = ["normal", "t", "skewt", "ged"];
const OPTION_KEYS = new Set([
  "p",
  "q",
  "mean",
  "dist",
  "init",
  "stationarity",
  "varianceTargeting",
  "maxIterations",
]);

function checkOrder(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new GarchInputError(
      "INVALID_ORDER",
      `${name} must be an integer from ${min} to ${max} (got ${formatValue(value)})`,
    );
  }
  return value;
}

function checkMean(value: unknown): MeanSpec {
  if (value === undefined || value === "constant") return { kind: "constant" };
  if (value === "zero") return { kind: "zero" };
  if (typeof value === "object" && value !== null) {
    const kind = (value as { kind?: unknown }).kind;
    if (kind === "zero" || kind === "constant") return { kind };
    if (kind === "ar") {
      const lags = checkOrder("mean.lags", (value as { lags?: unknown }).lags, 1, MAX_AR_LAGS);
      return { kind: "ar", lags };
    }
  }
  throw new GarchInputError(
    "INVALID_OPTION",
    `mean must be "zero", "constant" or {kind: "ar", lags} (got ${formatValue(value)})`,
  );
}

function checkInit(value: unknown): InitSpec {
  if (value === undefined || value === "fcp") return { kind: "fcp" };
  if (value === "ewma") return { kind: "ewma" };
  let fixed: unknown;
  if (typeof value === "number") fixed = value;
  else if (typeof value === "object" && value !== null) {
    const kind = (value as { kind?: unknown }).kind;
    if (kind === "fcp" || kind === "ewma") return { kind };
    if (kind === "fixed") fixed = (value as { value?: unknown }).value;
  }
  if (fixed === undefined) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `init must be "fcp", "ewma", a positive number or {kind: "fixed", value} (got ${formatValue(value)})`,
    );
  }
  if (typeof fixed !== "number" || !Number.isFinite(fixed) || fixed <= 0) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `init as a fixed pre-sample variance must be a finite number > 0 (got ${formatValue(fixed)})`,
    );
  }
  return { kind: "fixed", value: fixed };
}

function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new GarchInputError(
      "INVALID_OPTION",
      `${name} must be true or false (got ${formatValue(value)})`,
    );
  }
  return value;
}

/**
 * Checks that an options argument is a plain object holding only `known` keys. `subject` names
 * it in messages: "option" gives "options must be an object" and `unknown option "x"`.
 * @throws GarchInputError INVALID_OPTION
 */
export function checkOptionKeys(
  options: unknown,
  known: ReadonlySet<string>,
  subject: string,
): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new GarchInputError("INVALID_OPTION", `${subject}s must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new GarchInputError(
        "INVALID_OPTION",
        `unknown ${subject} "${key}" (known: ${[...known].join(", ")})`,
      );
    }
  }
}

/**
 * Applies the defaults (GARCH(1,1), constant mean, Normal, init fcp, stationarity on, no
 * variance targeting) and validates every option.
 * @throws GarchInputError INVALID_ORDER for p outside 1..20, q outside 0..20, AR lags outside
 *   1..50 or non-integers; INVALID_OPTION for an unknown option or a bad value (named).
 */
export function checkSpec(options: GarchOptions = {}): GarchSpec {
  checkOptionKeys(options, OPTION_KEYS, "option");
  const p = checkOrder("p (ARCH order)", options.p ?? 1, 1, MAX_ORDER);
  const q = checkOrder("q (GARCH order)", options.q ?? 1, 0, MAX_ORDER);
  const mean = checkMean(options.mean);
  const dist = options.dist ?? "normal";
  if (!DISTS.includes(dist)) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `dist must be one of ${DISTS.join(", ")} (got ${formatValue(dist)})`,
    );
  }
  const init = checkInit(options.init);
  const stationarity = checkBoolean("stationarity", options.stationarity, true);
  const varianceTargeting = checkBoolean("varianceTargeting", options.varianceTargeting, false);
  if (varianceTargeting && !stationarity) {
    throw new GarchInputError(
      "INVALID_OPTION",
      "varianceTargeting needs stationarity: omega = variance x (1 - sum alpha - sum beta) must stay > 0",
    );
  }
  checkMaxIterations(options.maxIterations);
  return { p, q, mean, dist, init, stationarity, varianceTargeting };
}

/** The optimiser's iteration cap from the options (validated; default 200). */
export function checkMaxIterations(value: unknown): number {
  if (value === undefined) return 200;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 100_000) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `maxIterations must be an integer from 1 to 100000 (got ${formatValue(value)})`,
    );
  }
  return value;
}

/** Number of mean parameters: 0 (zero), 1 (constant), 1 + lags (AR). */
export function meanParamCount(mean: MeanSpec): number {
  return mean.kind === "zero" ? 0 : mean.kind === "constant" ? 1 : 1 + mean.lags;
}

/** Number of shape parameters of the innovation distribution. */
export function shapeParamCount(dist: DistName): number {
  return dist === "normal" ? 0 : dist === "skewt" ? 2 : 1;
}

/** Number of estimated parameters (omega is not estimated under variance targeting). */
export function paramCount(spec: GarchSpec): number {
  return (
    meanParamCount(spec.mean) +
    (spec.varianceTargeting ? 0 : 1) +
    spec.p +
    spec.q +
    shapeParamCount(spec.dist)
  );
}

/** Observations lost to the AR mean (the likelihood is conditional on the first `lags`). */
export function meanLags(mean: MeanSpec): number {
  return mean.kind === "ar" ? mean.lags : 0;
}

/**
 * Shortest series a model is estimated on: max(p, q, lags) + 10 x (number of estimated
 * parameters). Below it the likelihood is too flat for the estimates to mean anything.
 */
export function minimumLength(spec: GarchSpec): number {
  return Math.max(spec.p, spec.q, meanLags(spec.mean)) + OBS_PER_PARAM * paramCount(spec);
}

/**
 * Validates a return series for a model and copies it into a Float64Array.
 * @throws GarchInputError EMPTY_SERIES, TOO_SHORT (rule in the message), NON_FINITE (first bad
 *   index), CONSTANT_SERIES, OUT_OF_RANGE (a standard deviation whose square is not a double).
 */
export function checkSeries(returns: ArrayLike<number>, spec: GarchSpec): Float64Array {
  return checkSeriesUnit(returns, spec).x;
}

/** `checkSeries`, with the series' unit (scale.ts). */
export function checkSeriesUnit(
  returns: ArrayLike<number>,
  spec: GarchSpec,
): { x: Float64Array; unit: number } {
  const n = seriesLength(returns, "returns");
  if (n === 0) throw new GarchInputError("EMPTY_SERIES", "returns is empty");
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = returns[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new GarchInputError(
        "NON_FINITE",
        `returns[${i}] is ${formatValue(v)}: every return must be a finite number`,
      );
    }
    x[i] = v;
  }
  const min = minimumLength(spec);
  if (n < min) {
    throw new GarchInputError(
      "TOO_SHORT",
      `returns has ${n} observations; this model needs at least ${min} (max(p, q, AR lags) + ${OBS_PER_PARAM} per estimated parameter, ${paramCount(spec)} parameters)`,
    );
  }
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = x[i] === x[0];
  if (constant) {
    throw new GarchInputError(
      "CONSTANT_SERIES",
      `returns is constant (every value is ${x[0]}): a constant series has no volatility to model`,
    );
  }
  return { x, unit: seriesUnit(x) };
}
