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
