/**
 * Multi-step forecasts from the end of a sample, h = 1..horizon, analytic or by simulation.
 *
 * Analytic (exact for GARCH, whose variance is linear in e^2): future squared residuals are
 * replaced by their conditional expectation E_T[e^2_{T+k}] = h_{T+k}, so
 *
 *   h_{T+k} = omega + sum_i alpha_i E_T[e^2_{T+k-i}] + sum_j beta_j h_{T+k-j}
 *
 * with the observed e^2 and h for T+k-i <= T; for GARCH(1,1) this is h_{T+1} = omega +
 * alpha e_T^2 + beta h_T and h_{T+k} = omega + (alpha + beta) h_{T+k-1}. The mean follows the
 * mean model with future residuals at their expectation 0: 0 (zero), mu (constant),
 * mu + sum_i phi_i r_{T+k-i} with forecasts standing in for future returns (AR).
 */
import { GarchInputError } from "./errors.js";
import { formatValue } from "./format.js";
import { checkSeed, Random } from "./random.js";
import { innovationSampler } from "./sampling.js";
import { checkParams, type PathHistory, type PathOutput, runPath } from "./simulate.js";
import { checkOptionKeys, checkSpec, meanLags } from "./spec.js";
import type { Forecast, ForecastOptions, ForecastState, GarchParams, GarchSpec } from "./types.js";

/** Longest horizon accepted. */
export const MAX_HORIZON = 10_000;
/** Most simulated paths accepted. */
export const MAX_SIMULATIONS = 1_000_000;
/** Most simulated steps (paths x horizon) in one forecast: about a second of work. */
export const MAX_SIMULATED_STEPS = 100_000_000;

const OPTION_KEYS = new Set(["method", "simulations", "seed"]);

function optionError(message: string): GarchInputError {
  return new GarchInputError("INVALID_OPTION", message);
}

function checkInteger(name: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw optionError(`${name} must be an integer from 1 to ${max} (got ${formatValue(value)})`);
  }
  return value;
}

/** Checks one array of the state: at least `count` finite numbers (positive ones if `positive`). */
function checkTail(
  field: string,
  values: unknown,
  count: number,
  positive: boolean,
): readonly number[] {
  if (!Array.isArray(values) || values.length < count) {
    throw optionError(
      `state.${field} must be an array of at least ${count} numbers for this model (got ${formatValue(values)})`,
    );
  }
  for (let i = values.length - count; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== "number" || !Number.isFinite(v) || (positive && v <= 0)) {
      throw optionError(
        `state.${field}[${i}] must be a finite number${positive ? " > 0" : ""} (got ${formatValue(v)})`,
      );
    }
  }
  return values as readonly number[];
}

/**
 * The history the forecast starts from: the last max(p, 1) residuals, max(q, 1) variances and
 * (AR) `lags` returns of the state, most recent last; longer arrays are allowed and only their
 * tails are used.
 */
function historyOf(spec: GarchSpec, state: ForecastState): PathHistory {
  if (typeof state !== "object" || state === null) {
    throw optionError("state must be an object with residuals, variances and returns");
  }
  const residuals = checkTail("residuals", state.residuals, Math.max(spec.p, 1), false);
  const variances = checkTail("variances", state.variances, Math.max(spec.q, 1), true);
  const returns = checkTail("returns", state.returns, meanLags(spec.mean), false);
  return { e2: residuals.map((e) => e * e), h: variances, r: returns };
}

function pathBuffers(horizon: number): PathOutput {
  return {
    returns: new Float64Array(horizon),
    variance: new Float64Array(horizon),
    residuals: new Float64Array(horizon),
  };
}

/**
 * Forecasts the mean and the conditional variance for h = 1..horizon from the end of a sample.
 *
 * `variance[k-1]` is the conditional variance of the residual, E_T[h_{T+k}] (arch's
 * `residual_variance`). For zero and constant means it is also the variance of the return
 * forecast error; for an AR mean that error variance is larger, since errors in forecast
 * returns feed the later means.
 *
 * `method: "analytic"` (default) uses the closed-form recursion of the module comment.
 * `method: "simulation"` runs `simulations` paths from the state with innovations drawn from
 * the spec's distribution (seeded: same inputs, same forecast) and returns the average of the
 * simulated returns and of each path's conditional variance h_{T+k}. Averaging h rather than
 * e^2 = h z^2 (both have expectation E_T[h_{T+k}]) is arch's choice and removes the noise of
 * the last draw; it converges to the analytic values as the number of paths grows.
 *
 * @throws GarchInputError INVALID_ORDER / INVALID_OPTION for a bad spec; INVALID_PARAMS for
 *   parameters that do not fit the spec (see `checkParams`); INVALID_OPTION for horizon outside
 *   1..10000, simulations outside 1..10^6, simulations x horizon above 10^8, a bad seed or
 *   method, an unknown option, or a state too short for the spec or holding non-finite values
 *   (or variances <= 0).
 */
export function forecast(
  model: GarchSpec,
  params: GarchParams,
  state: ForecastState,
  horizon: number,
  options: ForecastOptions = {},
): Forecast {
  const spec = checkSpec(model);
  checkParams(spec, params);
  checkInteger("horizon", horizon, MAX_HORIZON);
  checkOptionKeys(options, OPTION_KEYS, "forecast option");
  const method = options.method ?? "analytic";
  if (method !== "analytic" && method !== "simulation") {
    throw optionError(`method must be "analytic" or "simulation" (got ${formatValue(method)})`);
  }
  const simulations = checkInteger("simulations", options.simulations ?? 1000, MAX_SIMULATIONS);
  const seed = checkSeed(options.seed ?? 42);
  const history = historyOf(spec, state);
  const path = pathBuffers(horizon);
  if (method === "analytic") {
    runPath(spec, params, history, null, path);
    return { mean: Array.from(path.returns), variance: Array.from(path.variance) };
  }
  if (simulations * horizon > MAX_SIMULATED_STEPS) {
    throw optionError(
      `simulations x horizon must be at most ${MAX_SIMULATED_STEPS} (got ${simulations} x ${horizon})`,
    );
  }
  const draw = innovationSampler(spec.dist, params, new Random(seed));
  const meanSum = new Float64Array(horizon);
  const varianceSum = new Float64Array(horizon);
  for (let s = 0; s < simulations; s++) {
    runPath(spec, params, history, draw, path);
    for (let k = 0; k < horizon; k++) {
      meanSum[k]! += path.returns[k]!;
      varianceSum[k]! += path.variance[k]!;
    }
  }
  return {
    mean: Array.from(meanSum, (v) => v / simulations),
    variance: Array.from(varianceSum, (v) => v / simulations),
  };
}
