/**
 * Newton's method in θ with the exact Hessian of the fused GARCH(1,1)-Normal pass: constrained
 * steps (active-set.ts) that land on a limit when the optimum is there, backtracking line
 * search, Marquardt damping of indefinite Hessians far from an optimum, and an early stop for a
 * second start seen to head for a known optimum.
 */
import { evaluate, evaluateHessian, type Model } from "../likelihood.js";
import { activeSetStep, projectedGradientNorm, type Step } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { headsTo, type Known, QUADRATIC_REGION } from "./early-stop.js";
import { lineSearch } from "./line-search.js";
import { DECREMENT_TOL, type Estimate, type Stopped } from "./result.js";

export interface NewtonOptions {
  /** Stop once the decrement is below this (default: rounding level, see `newtonStage`). */
  readonly tol?: number;
  /**
   * Accumulate the outer product of the per-observation scores in the pass expected to be the
   * last (and return it when that pass is at the estimate), so no separate scores pass is needed.
   */
  readonly opg?: boolean;
  /** An optimum already found: stop, returning "same", once the run is seen to head for it. */
  readonly reference?: Known;
}

/** Consecutive Marquardt-damped steps (indefinite Hessians) before Newton gives up. */
const MAX_REGULARISED = 20;
/**
 * Passes one line search may take (halving the step each time): a Newton direction that gains
 * nothing within 1/128 of the longest feasible step is one to give up on. Far from the optimum
 * (the best grid start of the DAX returns, say) the quadratic model can overshoot by a factor
 * of 16; steps that meet a constraint land on it instead of being cut short.
 */
const MAX_TRIALS = 8;
/** Consecutive Newton steps that do not halve the decrement before Newton gives up. */
const MAX_STALLED = 3;

/** The curvature -H of a Hessian H. */
export function negated(hess: Float64Array): Float64Array {
  const out = new Float64Array(hess.length);
  for (let i = 0; i < hess.length; i++) out[i] = -hess[i]!;
  return out;
}

/**
 * Newton's method in θ with the exact Hessian (fused models only). Returns where it stopped when
 * it cannot proceed: a Hessian that stays indefinite, no ascent along the step, steps that stall,
 * or the iteration cap; null if the start's log-likelihood is not finite.
 */
export function newtonStage(
  model: Model,
  c: Constraints,
  theta0: Float64Array,
  maxIterations: number,
  options: NewtonOptions = {},
): Estimate | Stopped | "same" | null {
  const k = model.layout.k;
  let theta: Float64Array = Float64Array.from(theta0);
  const grad = new Float64Array(k);
  const hess = new Float64Array(k * k);
  const gradNext = new Float64Array(k);
  const hessNext = new Float64Array(k * k);
  const ref = options.reference;
  // Outer product of the scores at the accepted point, when its pass collected it (and of the
  // last trial); e and h hold the last pass.
  const opg = new Float64Array(k * k);
  const opgNext = new Float64Array(k * k);
  let opgValid = false;
  let lastIsCurrent = true;
  let ll = evaluateHessian(model, theta, grad, hess, null);
  let step: Step | null = null;
  const done = (iterations: number, last: Step): Estimate => {
    if (!lastIsCurrent) evaluate(model, theta); // leave e and h at the estimate
    return {
      theta,
      logLikelihood: ll,
      hessian: Float64Array.from(hess),
      opg: opgValid ? opg : null,
      iterations,
      converged: true,
      message: `converged: Newton decrement ${last.decrement.toExponential(1)}`,
      held: last.held,
      onPersistence: last.onPersistence,
      projectedGradient: projectedGradientNorm(c, theta, grad),
    };
  };
  const stop = (iterations: number, indefinite: boolean): Stopped => ({
    theta,
    logLikelihood: ll,
    decrement: step?.decrement ?? Number.POSITIVE_INFINITY,
    iterations,
    indefinite,
  });
  // Rounding level: steps continue past the convergence criterion, since they are cheap
  // (quadratic convergence) and the benchmark digits need them.
  const tol = options.tol ?? 1e-14 * Math.max(1, Math.abs(ll));
  // A decrement d is followed by one of about c d^2 with c < 0.1: below this, the next pass is
  // expected to be the last, and collects the scores.
  const lastPass = Math.sqrt(10 * tol);
  let regularised = 0;
  let stalled = 0;
  if (!Number.isFinite(ll)) return null;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const previous = step?.decrement ?? Number.POSITIVE_INFINITY;
    step = activeSetStep(c, theta, grad, negated(hess));
    if (step.regularised) {
      // Not negative definite (far from an optimum, as a grid start can be): damped steps
      // until the Hessian turns definite.
      if (++regularised > MAX_REGULARISED) return stop(iteration, true);
    } else regularised = 0;
    const { decrement } = step;
    // Newton halves the decrement at least: give up after a few steps that do not.
    stalled = decrement > 0.5 * previous ? stalled + 1 : 0;
    if (stalled >= MAX_STALLED) return stop(iteration, false);
    if (regularised === 0 && decrement < tol) return done(iteration, step);
    if (ref && regularised === 0 && decrement < QUADRATIC_REGION) {
      if (headsTo(ref, theta, step.d, negated(hess))) return "same";
    }
    const withOpg = options.opg === true && regularised === 0 && decrement < lastPass;
    const accepted = lineSearch(c, theta, ll, step, MAX_TRIALS, (next) => {
      lastIsCurrent = false;
      return evaluateHessian(model, next, gradNext, hessNext, withOpg ? opgNext : null);
    });
    if (!accepted) {
      if (regularised === 0 && decrement < DECREMENT_TOL) return done(iteration, step);
      return stop(iteration, regularised > 0);
    }
    // The accepted point is the last trial (the search stops at it).
    theta = accepted.theta;
    ll = accepted.logLikelihood;
    grad.set(gradNext);
    hess.set(hessNext);
    lastIsCurrent = true;
    opgValid = withOpg;
    if (withOpg) opg.set(opgNext);
  }
  const last = activeSetStep(c, theta, grad, negated(hess));
  if (!last.regularised && last.decrement < DECREMENT_TOL) return done(maxIterations, last);
  step = last;
  return stop(maxIterations, last.regularised);
}
