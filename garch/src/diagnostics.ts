/**
 * Residual diagnostics: the Ljung–Box portmanteau test, on standardised residuals (left-over
 * autocorrelation in the mean) and on their squares (left-over ARCH effects).
 */
import { GarchInputError } from "./errors.js";
import { formatValue } from "./format.js";
import { checkOptionKeys, seriesLength } from "./spec.js";
import { chiSquareSf } from "./special.js";

/** Result of a Ljung–Box test. */
export interface LjungBoxResult {
  /** Q = n (n + 2) sum_{k=1..lags} rho_k^2 / (n - k). */
  readonly statistic: number;
  /** P(chi-squared with lags - dof degrees of freedom > Q). */
  readonly pValue: number;
  readonly lags: number;
  /** Degrees of freedom subtracted for fitted parameters (R's `fitdf`). */
  readonly dof: number;
}

export interface LjungBoxOptions {
  /** Fitted parameters to subtract from the degrees of freedom (R's `fitdf`). @default 0 */
  readonly dof?: number;
}
const LJUNG_BOX_OPTION_KEYS = new Set(["dof"]);

function optionError(message: string): GarchInputError {
  return new GarchInputError("INVALID_OPTION", message);
}

/**
 * The values from the first non-NaN one on. A fit pads its residuals with NaN where an AR mean
 * has no fitted value; anything non-finite after that is an error.
 */
function series(x: ArrayLike<number>): Float64Array {
  const n = seriesLength(x, "x");
  let start = 0;
  while (start < n && Number.isNaN(x[start])) start++;
  if (start === n) {
    throw new GarchInputError("EMPTY_SERIES", "x has no values (it is empty or all NaN)");
  }
  const out = new Float64Array(n - start);
  for (let i = start; i < n; i++) {
    const v = x[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new GarchInputError(
        "NON_FINITE",
        `x[${i}] is ${formatValue(v)}: after any leading NaN every value must be a finite number`,
      );
    }
    out[i - start] = v;
  }
  return out;
}

/**
 * Ljung–Box test of no autocorrelation up to lag `lags`, as R's
 * `Box.test(x, lag = lags, type = "Ljung-Box", fitdf = dof)`: with n values and sample
 * autocorrelations rho_k (about the sample mean),
 *
 *   Q = n (n + 2) sum_{k=1..lags} rho_k^2 / (n - k) ~ chi-squared(lags - dof).
 *
 * Leading NaN values are skipped (see `series`).
 * @throws GarchInputError EMPTY_SERIES, NON_FINITE (naming the index), CONSTANT_SERIES;
 *   INVALID_OPTION when lags is not an integer from 1 to n - 1 or dof not an integer from 0 to
 *   lags - 1.
 */
export function ljungBox(
  x: ArrayLike<number>,
  lags: number,
  options: LjungBoxOptions = {},
): LjungBoxResult {
  const z = series(x);
  const n = z.length;
  if (typeof lags !== "number" || !Number.isInteger(lags) || lags < 1 || lags >= n) {
    throw optionError(
      `lags must be an integer from 1 to n - 1 = ${n - 1} for ${n} values (got ${formatValue(lags)})`,
    );
  }
  checkOptionKeys(options, LJUNG_BOX_OPTION_KEYS, "ljungBox option");
  const dof = options.dof ?? 0;
  if (typeof dof !== "number" || !Number.isInteger(dof) || dof < 0 || dof >= lags) {
    throw optionError(
      `dof must be an integer from 0 to lags - 1 = ${lags - 1} (got ${formatValue(dof)})`,
    );
  }
  // Compared exactly, before demeaning: the rounding of the mean would leave a constant series
  // with tiny non-zero deviations and meaningless autocorrelations.
  if (z.every((v) => v === z[0])) {
    throw new GarchInputError(
      "CONSTANT_SERIES",
      "x is constant: its autocorrelations are undefined",
    );
  }
  let mean = 0;
  for (let t = 0; t < n; t++) mean += z[t]!;
  mean /= n;
  for (let t = 0; t < n; t++) z[t]! -= mean;
  let c0 = 0;
  for (let t = 0; t < n; t++) c0 += z[t]! * z[t]!;
  let sum = 0;
  for (let k = 1; k <= lags; k++) {
    let ck = 0;
    for (let t = k; t < n; t++) ck += z[t]! * z[t - k]!;
    const rho = ck / c0;
    sum += (rho * rho) / (n - k);
  }
  const statistic = n * (n + 2) * sum;
  return { statistic, pValue: chiSquareSf(statistic, lags - dof), lags, dof };
}

/** Ljung–Box tests of standardised residuals z and of z^2, one per lag. */
export interface ResidualDiagnostics {
  /** On z: autocorrelation the mean model left behind. */
  readonly residuals: readonly LjungBoxResult[];
  /** On z^2: conditional heteroskedasticity the variance model left behind. */
  readonly squaredResiduals: readonly LjungBoxResult[];
}

/**
 * Ljung–Box tests on standardised residuals and on their squares at each of `lags`.
 *
 * Degrees of freedom: the full `lags` for both (dof = 0), which is what R's `Box.test` and
 * Python's statsmodels (`model_df = 0`) give by default. Subtracting the number of fitted parameters (Li and Mak's correction for squared residuals)
 * is possible with `ljungBox(x, lags, { dof })` directly.
 * @param lags @default [10, 20]
 * @throws GarchInputError as `ljungBox`, and INVALID_OPTION when `lags` is not a non-empty array.
 */
export function residualDiagnostics(
  standardizedResiduals: ArrayLike<number>,
  lags: readonly number[] = [10, 20],
): ResidualDiagnostics {
  if (!Array.isArray(lags) || lags.length === 0) {
    throw optionError(`lags must be a non-empty array of integers (got ${formatValue(lags)})`);
  }
  const z = series(standardizedResiduals);
  const z2 = z.map((v) => v * v);
  return {
    residuals: lags.map((m) => ljungBox(z, m)),
    squaredResiduals: lags.map((m) => ljungBox(z2, m)),
  };
}
