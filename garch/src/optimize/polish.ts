/**
 * Newton polishing after the quasi-Newton stage: constrained chord steps (active-set.ts) with the
 * Hessian the standard errors use (hessian.ts), which settle the last digits and judge
 * convergence by the KKT conditions: the constrained Newton decrement (the projected gradient in
 * the metric of the inverse Hessian) below DECREMENT_TOL with a Hessian negative definite on the
 * free parameters.
 */
import { evaluate, type Model } from "../likelihood.js";
import { activeSetStep, projectedGradient, type Step } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { hessianAt } from "./hessian.js";
import { lineSearch } from "./line-search.js";
import { negated } from "./newton.js";
import { DECREMENT_TOL, decrementText, type Estimate } from "./result.js";

/** Chord steps at most (the Hessian hardly changes over the last steps). */
const MAX_STEPS = 8;
/**
 * A step with a decrement above this refreshes the Hessian once (stale for the chord and the
 * SEs); below it the estimate is within a few hundredths of a standard error of the point the
 * Hessian was taken at, which moves the standard errors by far less than their own error.
 */
const REFRESH_DECREMENT = 1e-2;

/**
 * Polishes θ (feasible, near an optimum) in at most `budget` steps; `earlier` says how the stage
 * before ended. The estimate counts the polishing steps only.
 */
export function polish(
  model: Model,
  c: Constraints,
  theta0: Float64Array,
  budget: number,
  earlier: string,
): Estimate {
  const k = model.layout.k;
  let theta = theta0;
  let hess = hessianAt(model, theta);
  let curvature = negated(hess);
  const g = new Float64Array(k);
  const gNext = new Float64Array(k);
  let ll = evaluate(model, theta, g);
  let step: Step = activeSetStep(c, theta, g, curvature);
  let steps = 0;
  let refreshed = false;
  for (; steps < Math.min(MAX_STEPS, budget) && !step.regularised; steps++) {
    if (step.decrement < 1e-14 * Math.max(1, Math.abs(ll))) break;
    const accepted = lineSearch(c, theta, ll, step, 1, (next) => evaluate(model, next, gNext));
    if (!accepted) break;
    theta = accepted.theta;
    ll = accepted.logLikelihood;
    g.set(gNext);
    if (step.decrement > REFRESH_DECREMENT && !refreshed) {
      hess = hessianAt(model, theta);
      curvature = negated(hess);
      refreshed = true;
    }
    step = activeSetStep(c, theta, g, curvature);
  }
  evaluate(model, theta); // leave the model's residuals and variances at θ
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
