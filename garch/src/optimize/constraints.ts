/**
 * The feasible set of θ as the optimiser sees it: a box (a lower and an upper limit for each
 * parameter, infinite where there is none) and, under stationarity, one linear constraint on
 * the ARCH and GARCH coefficients, sum(alpha) + sum(beta) ≤ MAX_PERSISTENCE. An estimate may lie
 * on any of them (a lag whose coefficient is 0, a t fitted to Normal data at nu = 500); the
 * optimiser lands on them exactly (active-set.ts).
 *
 * The limits: omega ≥ the variance floor of the recursion (1e-10 of the sample variance, well
 * below any variance a fit reaches), alpha_i ≥ 0 and beta_j ≥ 0 (positivity, as arch, fGarch
 * and tseries impose), the shape parameters within their distribution's closed limits, the mean
 * parameters free.
 */
import type { Model } from "../likelihood.js";

/** Largest persistence allowed under stationarity (sum < 1, with room for omega > 0). */
const MAX_PERSISTENCE = 1 - 1e-6;

export interface Constraints {
  readonly k: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** First index of the coefficients the persistence constraint sums (alpha, then beta). */
  readonly from: number;
  /** One past their last index. */
  readonly to: number;
  /** Largest sum(alpha) + sum(beta) allowed: MAX_PERSISTENCE, or Infinity without stationarity. */
  readonly maxPersistence: number;
}

/** The constraints of a bound model. */
export function constraintsOf(model: Model): Constraints {
  const { layout, spec, dist } = model;
  const k = layout.k;
  const lower = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
  const upper = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
  if (layout.omega >= 0) lower[layout.omega] = model.lo;
  for (let i = layout.alpha; i < layout.shape; i++) lower[i] = 0;
  for (let s = 0; s < layout.nShape; s++) {
    [lower[layout.shape + s], upper[layout.shape + s]] = dist.shapeLimits[s]!;
  }
  return {
    k,
    lower,
    upper,
    from: layout.alpha,
    to: layout.shape,
    maxPersistence: spec.stationarity ? MAX_PERSISTENCE : Number.POSITIVE_INFINITY,
  };
}

/** sum(alpha) + sum(beta) of θ. */
export function persistenceOf(c: Constraints, theta: ArrayLike<number>): number {
  let s = 0;
  for (let i = c.from; i < c.to; i++) s += theta[i]!;
  return s;
}

/**
 * Scales the ARCH and GARCH coefficients of θ (in place) so that their sum is at most the
 * largest persistence allowed, as close to it as rounding lets a sum come from below.
 */
export function capPersistence(c: Constraints, theta: Float64Array): void {
  for (let s = persistenceOf(c, theta); s > c.maxPersistence; s = persistenceOf(c, theta)) {
    const f = (c.maxPersistence / s) * (1 - 2 ** -52);
    for (let i = c.from; i < c.to; i++) theta[i] = theta[i]! * f;
  }
}

/** θ moved into the feasible set: each entry clipped to its limits, the persistence scaled down. */
export function clip(c: Constraints, theta: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(theta, (v, i) => Math.min(Math.max(v, c.lower[i]!), c.upper[i]!));
  capPersistence(c, out);
  return out;
}
