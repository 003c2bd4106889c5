/**
 * Newton polishing after the BFGS stage: a few chord steps in θ with the Hessian the standard
 * errors use, which settle the last digits and judge convergence by the Newton decrement.
 */
import { evaluate, type Model } from "../likelihood.js";
import { cholesky, choleskySolve, dot } from "../linalg.js";
import type { Stage } from "./bfgs-stage.js";
import { feasible } from "./constraints.js";
import { hessianAt } from "./hessian.js";
import { DECREMENT_TOL, type Estimate } from "./result.js";

/**
 * Newton steps in θ with one Hessian (the chord method: the Hessian hardly changes over the
 * last steps). Returns the Hessian at the start of polishing, refreshed if a step was large.
 */
export function polish(model: Model, stage: Stage): Estimate {
  const k = model.layout.k;
  let theta = stage.theta;
  let hess = hessianAt(model, theta);
  const neg = hess.map((v) => -v);
  let l = cholesky(neg, k);
  const g = new Float64Array(k);
  let ll = evaluate(model, theta, g);
  if (!l) {
    return {
      theta,
      logLikelihood: ll,
      hessian: hess,
      iterations: stage.iterations,
      converged: stage.bfgsConverged,
      message: stage.bfgsConverged
        ? "converged in free parameters; the Hessian is not negative definite (an estimate on or near a bound?)"
        : stage.message,
    };
  }
  let decrement = Number.POSITIVE_INFINITY;
  let steps = 0;
  let refreshed = false;
  let blocked = false;
  for (; steps < 8; steps++) {
    const delta = choleskySolve(l!, k, g);
    decrement = dot(g, delta, k);
    if (decrement < 1e-14 * Math.max(1, Math.abs(ll))) break;
    const next = theta.map((v, i) => v + delta[i]!);
    if (!feasible(model, next)) {
      blocked = true;
      break;
    }
    const gNext = new Float64Array(k);
    const llNext = evaluate(model, next, gNext);
    if (!(llNext >= ll - 1e-12 * Math.abs(ll))) break;
    theta = next;
    ll = llNext;
    g.set(gNext);
    if (decrement > 1e-4 && !refreshed) {
      // A large step: the starting Hessian is stale for the standard errors and for the chord.
      hess = hessianAt(model, theta);
      l = cholesky(
        hess.map((v) => -v),
        k,
      );
      refreshed = true;
      if (!l) break;
    }
  }
  if (l) decrement = dot(g, choleskySolve(l, k, g), k);
  evaluate(model, theta);
  const converged = Number.isFinite(decrement) && decrement < DECREMENT_TOL;
  let message: string;
  if (converged) message = `converged: Newton decrement ${decrement.toExponential(1)}`;
  else if (blocked && stage.bfgsConverged) {
    return {
      theta,
      logLikelihood: ll,
      hessian: hess,
      iterations: stage.iterations + steps,
      converged: true,
      message:
        "converged in free parameters at a constraint boundary (a Newton step would leave the feasible set)",
    };
  } else
    message = `not converged: Newton decrement ${decrement.toExponential(2)} (${stage.message})`;
  return {
    theta,
    logLikelihood: ll,
    hessian: hess,
    iterations: stage.iterations + steps,
    converged,
    message,
  };
}
