/**
 * When a run from another start can stop early (keeping a multi-start search cheap): it heads
 * for an optimum already found, or even the quadratic model's maximum along its way is below
 * the best log-likelihood found.
 */

/** An optimum already found: where, how high, and the curvature (-H, k x k) there. */
export interface Known {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  readonly curvature: Float64Array;
}

/**
 * A run's Newton target within this squared distance of a known optimum, in the metric of the
 * curvature there (half a standard error, squared), counts as the same optimum: a likelihood
 * whose curvature hardly changes over a standard error is concave there, so it has no second
 * maximum that close. At 0.1 standard errors runs went on for 2-3 more passes each to the same
 * end (418 probe fits: the same optima, iterations 17,582 -> 16,294).
 */
const SAME_OPTIMUM = 0.25;
/** ...checked once the run's own decrement is below this (in the quadratic region). */
export const QUADRATIC_REGION = 0.5;
/** A run whose log-likelihood plus its decrement stays this far below the best is dominated. */
const DOMINATED_MARGIN = 1e-2;

/** gap' M gap for a k x k matrix M. */
function quadratic(m: Float64Array, gap: Float64Array): number {
  const k = gap.length;
  let q = 0;
  for (let i = 0; i < k; i++) {
    let row = 0;
    for (let j = 0; j < k; j++) row += m[i * k + j]! * gap[j]!;
    q += gap[i]! * row;
  }
  return q;
}

/**
 * Whether θ + d (a run's Newton target) is a known optimum (see SAME_OPTIMUM), in the metric of
 * the curvature at the known optimum and in that of the run's own curvature: both must agree,
 * since a curvature estimated at an optimum on a bound says little about the directions held
 * at the bound. Nor is it one where a coefficient the optimum holds at 0 is positive both where
 * the run is and at its target: within half a standard error of an optimum with beta[1] = 0, a
 * GARCH(2,2) of 5,000 simulated returns (seed 103, `pnpm bench:garch-heldout`) has another at
 * beta[1] = 0.158, 0.019 higher, and the run heading for it was stopped as the same.
 */
export function headsTo(
  known: Known,
  theta: ArrayLike<number>,
  d: ArrayLike<number>,
  curvature: Float64Array,
): boolean {
  const k = known.theta.length;
  const gap = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const target = theta[i]! + d[i]!;
    // A coefficient the optimum holds at its bound (0) and the run is off, heading off it: the
    // curvature there does not see the bound, and a maximum off it may be close.
    if (known.theta[i] === 0 && theta[i]! > 0 && target > 0) return false;
    gap[i] = target - known.theta[i]!;
  }
  return quadratic(known.curvature, gap) < SAME_OPTIMUM && quadratic(curvature, gap) < SAME_OPTIMUM;
}

/** Whether two optima are one (see SAME_OPTIMUM), in the metrics of both their curvatures. */
export function sameOptimum(a: Known, b: Known): boolean {
  return headsTo(a, b.theta, new Float64Array(b.theta.length), b.curvature);
}

/**
 * Whether a run in the quadratic region cannot beat `best`: its log-likelihood plus its whole
 * decrement (twice the gain the quadratic model expects) is still short of it.
 */
export function dominated(best: number, logLikelihood: number, decrement: number): boolean {
  return decrement < QUADRATIC_REGION && logLikelihood + decrement < best - DOMINATED_MARGIN;
}
