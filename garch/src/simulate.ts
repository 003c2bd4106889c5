/**
 * Simulation of a specified GARCH(p,q) model, and the one path recursion that simulation,
 * simulated forecasts and analytic forecasts share:
 *
 *   h_t = omega + sum_{i=1..p} alpha_i e_{t-i}^2 + sum_{j=1..q} beta_j h_{t-j}
 *   r_t = mean_t + e_t,  e_t = sqrt(h_t) z_t,  mean_t = 0 | mu | mu + sum_i phi_i r_{t-i}
 *
 * with z_t drawn from the spec's standardised distribution (see `sampling.ts`).
 */
import { GarchInputError } from "./errors.js";
import { formatValue } from "./format.js";
import { fromParams } from "./params.js";
import { checkSeed, Random } from "./random.js";
import { checkShape, type InnovationSampler, innovationSampler } from "./sampling.js";
import { checkOptionKeys, checkSpec, meanLags } from "./spec.js";
import type { GarchParams, GarchSpec } from "./types.js";

/** Longest series `simulate` produces (and longest burn-in): three Float64Arrays of this size. */
export const MAX_SIMULATION_LENGTH = 10_000_000;
/** Burn-in discarded by `simulate` unless told otherwise. */
export const DEFAULT_BURN = 500;
const SIMULATE_OPTION_KEYS = new Set(["seed", "burn"]);

/** A simulated series: returns r_t, conditional variances h_t and residuals e_t = r_t - mean_t. */
export interface Simulation {
  readonly returns: Float64Array;
  readonly variance: Float64Array;
  readonly residuals: Float64Array;
}

export interface SimulateOptions {
  /** Seed of the innovation stream. @default 42 */
  readonly seed?: number;
  /** Leading observations simulated and discarded, so the start value is forgotten. @default 500 */
  readonly burn?: number;
}

/**
 * Checks parameters against a spec: every value the model needs is present and finite, the
 * arrays have the spec's lengths, omega > 0, alpha_i >= 0, beta_j >= 0, and the shape
 * parameters are in range for the distribution (see `checkShape`). omega is required even
 * under variance targeting: a model to simulate or forecast needs its value. The persistence
 * is not bounded: a non-stationary model is simulated (and forecast) as specified.
 * @throws GarchInputError INVALID_PARAMS naming the field and the rule.
 */
export function checkParams(spec: GarchSpec, params: GarchParams): void {
  fromParams({ ...spec, varianceTargeting: false }, params);
  if (params.omega <= 0) {
    throw new GarchInputError("INVALID_PARAMS", `params.omega must be > 0 (got ${params.omega})`);
  }
  for (const field of ["alpha", "beta"] as const) {
    params[field].forEach((v, i) => {
      if (v < 0) {
        throw new GarchInputError(
          "INVALID_PARAMS",
          `params.${field}[${i}] must be >= 0 (got ${v})`,
        );
      }
    });
  }
  checkShape(spec.dist, params);
}

/** Sum of alpha and beta: the persistence of the variance. */
function persistenceOf(params: GarchParams): number {
  let s = 0;
  for (const a of params.alpha) s += a;
  for (const b of params.beta) s += b;
  return s;
}

/**
 * Recent history a path starts from, most recent value last: at least p squared residuals,
 * q variances and (AR mean) `lags` returns.
 */
export interface PathHistory {
  readonly e2: ArrayLike<number>;
  readonly h: ArrayLike<number>;
  readonly r: ArrayLike<number>;
}

/** Where a path is written: one entry per step. */
export interface PathOutput {
  readonly returns: Float64Array;
  readonly variance: Float64Array;
  readonly residuals: Float64Array;
}

/**
 * Runs `out.variance.length` steps of the model from a history (parameters already checked).
 * With a sampler, e_t = sqrt(h_t) z_t is drawn. With `null` it writes conditional expectations
 * instead: e_t = 0 in the mean recursion and E[e_t^2] = h_t in the variance recursion, which is
 * exactly the analytic multi-step forecast of a GARCH model (linear in e^2).
 */
export function runPath(
  spec: GarchSpec,
  params: GarchParams,
  history: PathHistory,
  draw: InnovationSampler | null,
  out: PathOutput,
): void {
  const { p, q } = spec;
  const lags = meanLags(spec.mean);
  const steps = out.variance.length;
  const { omega, alpha, beta } = params;
  const mu = spec.mean.kind === "zero" ? 0 : (params.mu as number);
  const ar = params.ar ?? [];
  // Each buffer holds the history's tail followed by the new steps, so lag i of step k is
  // buffer[offset + k - i] whether it falls in the history or in the path.
  const e2 = withHistory(history.e2, p, steps);
  const h = withHistory(history.h, q, steps);
  const r = withHistory(history.r, lags, steps);
  for (let k = 0; k < steps; k++) {
    let v = omega;
    for (let i = 1; i <= p; i++) v += alpha[i - 1]! * e2[p + k - i]!;
    for (let j = 1; j <= q; j++) v += beta[j - 1]! * h[q + k - j]!;
    let m = mu;
    for (let i = 1; i <= lags; i++) m += ar[i - 1]! * r[lags + k - i]!;
    const e = draw === null ? 0 : Math.sqrt(v) * draw();
    h[q + k] = v;
    e2[p + k] = draw === null ? v : e * e;
    r[lags + k] = m + e;
    out.variance[k] = v;
    out.residuals[k] = e;
    out.returns[k] = m + e;
  }
}

/** A buffer of `count` history values (the tail of `values`) followed by `steps` free slots. */
function withHistory(values: ArrayLike<number>, count: number, steps: number): Float64Array {
  const buf = new Float64Array(count + steps);
  for (let i = 0; i < count; i++) buf[i] = values[values.length - count + i]!;
  return buf;
}

function checkCount(name: string, value: unknown, min: number): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < min ||
    value > MAX_SIMULATION_LENGTH
  ) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `${name} must be an integer from ${min} to ${MAX_SIMULATION_LENGTH} (got ${formatValue(value)})`,
    );
  }
  return value;
}

/**
 * Simulates n observations of a model with a seed. The recursion starts with every pre-sample
 * e^2 and h at the unconditional variance omega / (1 - sum alpha - sum beta) when that sum is
 * below 1, and at omega otherwise (arch's choice: a non-stationary model has no unconditional
 * variance); an AR mean starts its pre-sample returns at mu / (1 - sum phi) when sum phi < 1,
 * else at mu. The first `burn` observations are then discarded so the start is forgotten.
 * An explosive model (persistence above 1) is simulated as specified and its variance can
 * overflow to Infinity on long runs. Same spec, params, n, seed and burn: the same series on
 * every platform.
 * @throws GarchInputError INVALID_ORDER / INVALID_OPTION for a bad spec (as `checkSpec`);
 *   INVALID_PARAMS (see `checkParams`); INVALID_OPTION for n outside
 *   1..10^7, burn outside 0..10^7, or a bad seed.
 */
export function simulate(
  model: GarchSpec,
  params: GarchParams,
  n: number,
  options: SimulateOptions = {},
): Simulation {
  // A GarchSpec is valid GarchOptions: re-checking it turns a hand-built spec's bad order or
  // distribution into the same typed error `fit` gives.
  const spec = checkSpec(model);
  checkParams(spec, params);
  checkCount("n", n, 1);
  checkOptionKeys(options, SIMULATE_OPTION_KEYS, "simulate option");
  const burn = checkCount("burn", options.burn ?? DEFAULT_BURN, 0);
  const seed = checkSeed(options.seed ?? 42);
  const persistence = persistenceOf(params);
  const h0 = persistence < 1 ? params.omega / (1 - persistence) : params.omega;
  const lags = meanLags(spec.mean);
  const mu = spec.mean.kind === "zero" ? 0 : (params.mu as number);
  const arSum = (params.ar ?? []).reduce((s, v) => s + v, 0);
  const r0 = arSum < 1 ? mu / (1 - arSum) : mu;
  const history: PathHistory = {
    e2: new Array<number>(spec.p).fill(h0),
    h: new Array<number>(spec.q).fill(h0),
    r: new Array<number>(lags).fill(r0),
  };
  const total = burn + n;
  const path: PathOutput = {
    returns: new Float64Array(total),
    variance: new Float64Array(total),
    residuals: new Float64Array(total),
  };
  runPath(spec, params, history, innovationSampler(spec.dist, params, new Random(seed)), path);
  return {
    returns: path.returns.slice(burn),
    variance: path.variance.slice(burn),
    residuals: path.residuals.slice(burn),
  };
}
