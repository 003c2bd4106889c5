/**
 * Newton polishing after the quasi-Newton stage: constrained chord steps (active-set.ts) with the
 * Hessian the standard errors use (hessian.ts), which settle the last digits and judge
 * convergence by the KKT conditions: the constrained Newton decrement (the projected gradient in
 * the metric of the inverse Hessian) below DECREMENT_TOL with a Hessian negative definite on the
 * free parameters. Where a full step is rejected before that, the step's maximum is bracketed
 * and the Hessian taken again, up to MAX_DAMPED_STEPS times.
 */
import type { Model } from "../likelihood.js";
import { activeSetStep, projectedGradient, type Step } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { hessianAt, type Objective, objectiveOf } from "./hessian.js";
import { type Accepted, bracketSearch, lineSearch } from "./line-search.js";
import { negated } from "./newton.js";
import { DECREMENT_TOL, decrementText, type Estimate } from "./result.js";

/** Chord steps at most (the Hessian hardly changes over the last steps). */
const MAX_STEPS = 8;
/** Steps at most, beyond MAX_STEPS, whose full length the line search rejected (see `polish`). */
const MAX_DAMPED_STEPS = 30;
/** Trial points of one bracketing search along such a step (line-search.ts). */
const MAX_TRIALS = 30;
/**
 * A step with a decrement above this refreshes the Hessian once (stale for the chord and the
 * SEs); below it the estimate is within a few hundredths of a standard error of the point the
 * Hessian was taken at, which moves the standard errors by far less than their own error.
 */
const REFRESH_DECREMENT = 1e-2;

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Polishes θ (feasible, near an optimum) in at most `budget` steps; `earlier` says how the stage
 * before ended. The estimate counts the polishing steps only. With `objective`, polishes that
 * function of the model's parameters in its own coordinates instead (see hessian.ts), and the
 * estimate is in them.
 */
export function polish(
  model: Model,
  c: Constraints,
  theta0: Float64Array,
  budget: number,
  earlier: string,
  objective?: Objective,
): Estimate {
  const k = model.layout.k;
  const value = objective ?? objectiveOf(model);
  let theta = theta0;
  let hess = hessianAt(model, theta, objective);
  let curvature = negated(hess);
  const g = new Float64Array(k);
  const gNext = new Float64Array(k);
  let ll = value(theta, g);
  let step: Step = activeSetStep(c, theta, g, curvature);
  let steps = 0;
  let damped = 0;
  let refreshed = false;
  for (; steps < Math.min(MAX_STEPS + damped, budget) && !step.regularised; steps++) {
    if (step.decrement < 1e-14 * Math.max(1, Math.abs(ll))) break;
    const evalAt = (next: Float64Array) => value(next, gNext);
    let accepted: Accepted | null = lineSearch(c, theta, ll, step, 1, evalAt);
    // The full step rejected short of convergence: the quadratic model was wrong over it, as
    // where the curvature changes within a fraction of the step (GED with nu near 1 and a mean:
    // a residual near 0 adds a spike of curvature in the mean, |e|^(nu - 2), and the gradient
    // turns within it). The step's maximum is bracketed instead (line-search.ts), which lands
    // near the turn where halving the step overshoots it again at every following step.
    const shortened = !accepted && step.decrement >= DECREMENT_TOL && damped < MAX_DAMPED_STEPS;
    if (shortened) {
      const d = step.d;
      const bracketed = bracketSearch(c, theta, ll, step, MAX_TRIALS, evalAt, () => dot(gNext, d));
      // gNext must be the gradient at the point taken.
      if (bracketed && !bracketed.last) value(bracketed.theta, gNext);
      accepted = bracketed;
    }
    if (!accepted) break;
    theta = accepted.theta;
    ll = accepted.logLikelihood;
    g.set(gNext);
    // After a step whose full length was rejected the Hessian is taken again, and kept where it
    // is negative definite on the free parameters (a difference straddling a spike of curvature
    // can make it indefinite: the chord Hessian then stays).
    if (shortened || (step.decrement > REFRESH_DECREMENT && !refreshed)) {
      const fresh = hessianAt(model, theta, objective);
      const freshStep = activeSetStep(c, theta, g, negated(fresh));
      refreshed ||= !shortened;
      if (shortened) damped++;
      if (!freshStep.regularised || !shortened) {
        hess = fresh;
        curvature = negated(fresh);
        step = freshStep;
        continue;
      }
    }
    step = activeSetStep(c, theta, g, curvature);
  }
  value(theta); // leave the model's residuals and variances at θ
  const converged =
    !step.regularised && Number.isFinite(step.decrement) && step.decrement < DECREMENT_TOL;
  return {
    theta,
    logLikelihood: ll,
    hessian: hess,
    iterations: steps,
    converged,
    message: converged
      ? `converged: constrained Newton decrement ${decrementText(step.decrement, 1)}`
      : step.regularised
        ? `not converged: the Hessian is not negative definite on the free parameters (${earlier})`
        : `not converged: constrained Newton decrement ${decrementText(step.decrement, 2)} (${earlier})`,
    held: step.held,
    onPersistence: step.onPersistence,
    projectedGradient: projectedGradient(c, theta, g),
  };
}
