/**
 * Newton's method in θ with the exact Hessian of the fused GARCH(1,1)-Normal pass: constrained
 * steps (active-set.ts) that land on a limit when the optimum is there, backtracking line
 * search, Marquardt damping of indefinite Hessians far from an optimum, and an early stop for a
 * second start seen to head for a known optimum.
 */
import { evaluate, evaluateGradient, evaluateHessian, type Model } from "../likelihood.js";
import { activeSetStep, projectedGradient, type Step } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { headsTo, type Known, QUADRATIC_REGION } from "./early-stop.js";
import { lineSearch } from "./line-search.js";
import { bfgsUpdate } from "./quasi-newton.js";
import { DECREMENT_TOL, decrementText, type Estimate, type Stopped } from "./result.js";

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
  /**
   * An estimate of -H at the start (from a shorter sample's optimum, scaled): the first steps
   * are then quasi-Newton steps, without the exact pass at the start.
   */
  readonly curvature?: Float64Array;
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
/**
 * Far from an optimum (a decrement above PRODUCTIVE_MIN), steps since the last exact pass that
 * gained more than PRODUCTIVE_GAIN times its decrement (half the gain its quadratic model
 * predicted) do not count as stalled, however little the decrement fell: Newton's damped phase.
 * From a weak-ARCH start on a long series with near-unit persistence (thousands of units below
 * the optimum) the decrement shrank by less than half at steps that each gained hundreds of
 * units; counting those as stalls stopped the run, which handed the whole fit to the general
 * path (over a hundred quasi-Newton and polishing iterations where Newton takes a few more).
 */
const PRODUCTIVE_MIN = 1;
const PRODUCTIVE_GAIN = 0.25;
/**
 * Largest decrement of an exact pass after which quasi-Newton steps follow (see `nextPass`):
 * past this, the start is too far for the quadratic model to be worth updating.
 */
const QUASI_MAX = 30;
/** Factor by which each quasi-Newton step must cut the decrement to be followed by another. */
const CONTRACTION = 0.3;
/**
 * Margin on the predicted next decrement before the exact pass meant to be the last: BFGS's
 * predictions were up to ten times too hopeful, and a quasi-Newton step more costs a quarter
 * of the exact pass that would follow a miss.
 */
const FINAL_MARGIN = 0.1;

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
 *
 * Near the optimum most steps take the pass without second derivatives (a third of the cost):
 * after an exact pass whose decrement is below `QUASI_MAX`, the steps use that Hessian, updated
 * by BFGS along the steps taken since (superlinear from an exact start), for as long as each
 * cuts the decrement by `CONTRACTION` at least; then an exact pass again. The estimate is
 * always at an exact pass (with the outer product of the scores when asked), whose decrement
 * is the one convergence is judged by.
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
  const s = new Float64Array(k);
  const y = new Float64Array(k);
  const ref = options.reference;
  // Outer product of the scores at the accepted point, when its pass collected it (and of the
  // last trial); e and h hold the last exact pass (the gradient-only pass leaves them).
  const opg = new Float64Array(k * k);
  const opgNext = new Float64Array(k * k);
  let opgValid = false;
  const guess = options.curvature;
  // Whether e and h hold θ's pass.
  let lastIsCurrent = !guess;
  let ll = guess
    ? evaluateGradient(model, theta, grad)
    : evaluateHessian(model, theta, grad, hess, null);
  // The curvature the steps take: -H of the last exact pass, at θ while `exact`, otherwise
  // updated by BFGS along the gradient-only steps since (or from the start's estimate).
  let curvature = guess ? Float64Array.from(guess) : negated(hess);
  let exact = !guess;
  const refresh = () => {
    ll = evaluateHessian(model, theta, grad, hess, null);
    curvature = negated(hess);
    exact = true;
    lastIsCurrent = true;
    opgValid = false;
  };
  let step: Step | null = null;
  const done = (iterations: number, last: Step): Estimate => {
    // Leave e and h at the estimate (a start for a longer sample needs neither).
    if (!lastIsCurrent && options.opg === true) evaluate(model, theta);
    return {
      theta,
      logLikelihood: ll,
      hessian: exact ? Float64Array.from(hess) : negated(curvature),
      opg: opgValid ? opg : null,
      iterations,
      converged: true,
      message: `converged: Newton decrement ${decrementText(last.decrement, 1)}`,
      held: last.held,
      onPersistence: last.onPersistence,
      projectedGradient: projectedGradient(c, theta, grad),
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
  // Decrement at the last exact pass before θ's.
  let previousExact = Number.POSITIVE_INFINITY;
  // Log-likelihood at that pass.
  let llPreviousExact = Number.NEGATIVE_INFINITY;
  if (!Number.isFinite(ll)) return null;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const previous = step?.decrement ?? Number.POSITIVE_INFINITY;
    step = activeSetStep(c, theta, grad, curvature);
    if (!exact && step.regularised) {
      // The updated curvature lost definiteness on the free coordinates: the exact one here.
      refresh();
      step = activeSetStep(c, theta, grad, curvature);
    }
    if (step.regularised) {
      // Not negative definite (far from an optimum, as a grid start can be): damped steps
      // until the Hessian turns definite.
      if (++regularised > MAX_REGULARISED) return stop(iteration, true);
    } else regularised = 0;
    const { decrement } = step;
    if (exact) {
      // Newton halves the decrement at least near an optimum: give up after a few steps that
      // do not, unless they gained well (see PRODUCTIVE_GAIN).
      const productive =
        previousExact > PRODUCTIVE_MIN && ll - llPreviousExact > PRODUCTIVE_GAIN * previousExact;
      stalled = decrement > 0.5 * previousExact && !productive ? stalled + 1 : 0;
      if (stalled >= MAX_STALLED) return stop(iteration, false);
      previousExact = decrement;
      llPreviousExact = ll;
      if (regularised === 0 && decrement < tol) return done(iteration, step);
    } else if (options.opg !== true && decrement < tol) return done(iteration, step);
    if (ref && regularised === 0 && decrement < QUADRATIC_REGION) {
      if (headsTo(ref, theta, step.d, curvature)) return "same";
    }
    const planned = nextPass(exact, regularised === 0, decrement, previous, lastPass, tol);
    // A stage without the scores (a start for a longer sample) may end on a quasi-Newton step.
    const kind = planned === "last" && options.opg !== true ? "gradient" : planned;
    const withOpg = options.opg === true && kind === "last";
    const accepted = lineSearch(c, theta, ll, step, MAX_TRIALS, (next) => {
      lastIsCurrent = false;
      return kind === "gradient"
        ? evaluateGradient(model, next, gradNext)
        : evaluateHessian(model, next, gradNext, hessNext, withOpg ? opgNext : null);
    });
    if (!accepted) {
      if (!exact) {
        // No ascent along a quasi-Newton step: the exact Newton step from here.
        refresh();
        continue;
      }
      if (regularised === 0 && decrement < DECREMENT_TOL) return done(iteration, step);
      return stop(iteration, regularised > 0);
    }
    // The accepted point is the last trial (the search stops at it).
    if (kind === "gradient") {
      for (let i = 0; i < k; i++) {
        s[i] = accepted.theta[i]! - theta[i]!;
        y[i] = grad[i]! - gradNext[i]!;
      }
      bfgsUpdate(curvature, k, s, y);
      exact = false;
    } else {
      hess.set(hessNext);
      curvature = negated(hess);
      exact = true;
    }
    theta = accepted.theta;
    ll = accepted.logLikelihood;
    grad.set(gradNext);
    lastIsCurrent = kind !== "gradient";
    opgValid = withOpg;
    if (withOpg) opg.set(opgNext);
  }
  if (!exact) refresh();
  const last = activeSetStep(c, theta, grad, curvature);
  if (!last.regularised && last.decrement < DECREMENT_TOL) return done(maxIterations, last);
  step = last;
  return stop(maxIterations, last.regularised);
}

/**
 * Which pass the next step takes: the exact one (value, gradient, Hessian), the exact one
 * expected to be the last (which also sums the scores' outer product, if asked), or the
 * gradient alone (a quasi-Newton step). After an exact pass, quasi-Newton steps follow unless
 * the start is far (`QUASI_MAX`) or the Newton step is expected to land on the optimum; they go
 * on while each cuts the decrement by `CONTRACTION` at least, and end with the last exact pass
 * once the next decrement is expected to be at rounding level.
 */
function nextPass(
  exact: boolean,
  definite: boolean,
  decrement: number,
  previous: number,
  lastPass: number,
  tol: number,
): "exact" | "last" | "gradient" {
  if (!definite) return "exact";
  if (exact && decrement < lastPass) return "last";
  // After an exact pass, or at a start with an estimated curvature (no contraction seen yet).
  if (exact || !Number.isFinite(previous)) return decrement < QUASI_MAX ? "gradient" : "exact";
  // The next decrement, if the steps keep contracting as the last one did.
  const ratio = decrement / previous;
  if (decrement * ratio < FINAL_MARGIN * tol) return "last";
  return ratio < CONTRACTION ? "gradient" : "exact";
}
