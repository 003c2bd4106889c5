/** Backtracking along a constrained Newton step (active-set.ts), shared by the stages. */
import { maxStep, moveTo, type Step } from "./active-set.js";
import type { Constraints } from "./constraints.js";

/** Decrement below which a full step is taken on rounding-level gains (near the optimum). */
const FULL_STEP_DECREMENT = 1e-3;

export interface Accepted {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  /** The step length taken (1 is the full step). */
  readonly t: number;
}

/**
 * Tries θ + t d from the longest feasible t (at most 1, landing on the constraint it meets),
 * halving t up to `maxTrials` times, and accepts the first point with an Armijo gain of at
 * least 1e-4 t g'd, or, for a full step near the optimum, no loss beyond rounding. `evalAt`
 * returns the log-likelihood at a trial point (and keeps whatever else the caller needs of the
 * last pass). Null when no trial is accepted.
 */
export function lineSearch(
  c: Constraints,
  theta: Float64Array,
  ll: number,
  step: Step,
  maxTrials: number,
  evalAt: (next: Float64Array) => number,
): Accepted | null {
  const reach = maxStep(c, theta, step.d);
  if (!(reach.alpha > 0)) return null;
  let t = reach.alpha;
  for (let trial = 0; trial < maxTrials; trial++, t *= 0.5) {
    const next = moveTo(c, theta, step.d, t, reach);
    const llNext = evalAt(next);
    if (!Number.isFinite(llNext)) continue;
    const sufficient = llNext >= ll + 1e-4 * t * step.decrement;
    const nearOptimum =
      t === 1 && step.decrement < FULL_STEP_DECREMENT && llNext >= ll - 1e-12 * Math.abs(ll);
    if (sufficient || nearOptimum) return { theta: next, logLikelihood: llNext, t };
  }
  return null;
}

/**
 * The maximum along a step whose full length the quadratic model misjudged (`lineSearch`
 * rejected it): a bracketing search on the slope s(t) = g(θ + t d)'d, which is g'd (the
 * decrement, > 0) at t = 0. A trial with s < 0, or without the Armijo gain, bounds the maximum
 * from above; one with s ≥ 0 and the gain, from below; the next trial is the secant zero of s
 * between the two (kept off their ends), or the midpoint. Accepts the first trial with the
 * Armijo gain and |s| at most a tenth of g'd (the strong Wolfe conditions), otherwise the best
 * trial with the gain. Backtracking alone shrinks the step by halves where the gradient turns
 * within a small fraction of it, and overshoots again at every following step; this lands near
 * the turn. `evalAt` returns the log-likelihood at a trial point and `slopeAt` the slope there
 * (from the gradient of that evaluation); the caller's last evaluation is at the accepted point
 * only if `last` says so.
 */
export function bracketSearch(
  c: Constraints,
  theta: Float64Array,
  ll: number,
  step: Step,
  maxTrials: number,
  evalAt: (next: Float64Array) => number,
  slopeAt: () => number,
): (Accepted & { readonly last: boolean }) | null {
  const reach = maxStep(c, theta, step.d);
  if (!(reach.alpha > 0) || !(step.decrement > 0)) return null;
  let lo = 0;
  let sLo = step.decrement;
  let hi = reach.alpha;
  let sHi = Number.NaN;
  let best: (Accepted & { last: boolean }) | null = null;
  let t = hi;
  for (let trial = 0; trial < maxTrials; trial++) {
    const next = moveTo(c, theta, step.d, t, reach);
    const llNext = evalAt(next);
    const s = slopeAt();
    const gain = Number.isFinite(llNext) && llNext >= ll + 1e-4 * t * step.decrement;
    if (best) best.last = false;
    if (gain && (!best || llNext > best.logLikelihood)) {
      best = { theta: next, logLikelihood: llNext, t, last: true };
    }
    if (gain && Math.abs(s) <= 0.1 * step.decrement) return best;
    if (gain && s >= 0) {
      lo = t;
      sLo = s;
    } else {
      hi = t;
      sHi = gain ? s : Number.NaN;
    }
    const width = hi - lo;
    // The maximum located to 1e-4 of the step: where the slope turns within rounding
    // (a kink), no trial satisfies the slope condition.
    if (best && width <= 1e-4 * hi) return best;
    t =
      sHi < 0
        ? Math.min(Math.max(lo + (width * sLo) / (sLo - sHi), lo + 0.1 * width), hi - 0.1 * width)
        : lo + 0.5 * width;
  }
  return best;
}
