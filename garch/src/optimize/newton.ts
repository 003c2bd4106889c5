/**
 * Newton's method in θ with the exact Hessian of the fused GARCH(1,1)-Normal pass: backtracking
 * line search, Marquardt damping of indefinite Hessians far from an optimum, steps bent along
 * the free-parameter curve where straight ones would leave the feasible set, and an early stop
 * for a second start seen to head for a known optimum.
 */
import { evaluate, evaluateHessian, type Model } from "../likelihood.js";
import { cholesky, choleskySolve, dot, matVec, solve } from "../linalg.js";
import { jacobian, makeTransform, type Transform, toFree, toNatural } from "../transform.js";
import { feasible } from "./constraints.js";
import { DECREMENT_TOL, type Estimate, type Stopped } from "./result.js";

/** Decrement below which a full Newton step is taken on rounding-level gains (near the optimum). */
const FULL_STEP_DECREMENT = 1e-3;

export interface NewtonOptions {
  /** Stop once the decrement is below this (default: rounding level, see `newtonStage`). */
  readonly tol?: number;
  /**
   * Accumulate the outer product of the per-observation scores in the pass expected to be the
   * last (and return it when that pass is at the estimate), so no separate scores pass is needed.
   */
  readonly opg?: boolean;
  /**
   * An optimum already found (with the Hessian there): stop, returning "same", once the run is
   * in the quadratic region and its Newton target lies within `SAME_OPTIMUM` of it.
   */
  readonly reference?: Estimate;
}

/**
 * A second start's Newton target within this squared distance of the first start's optimum, in
 * the metric of the Hessian there (0.1 standard errors, squared), counts as the same optimum:
 * in the quadratic region the target is within a small fraction of that of the run's own
 * optimum, and a likelihood whose Hessian hardly changes over a standard error is concave
 * there, so it has no second maximum that close.
 */
const SAME_OPTIMUM = 1e-2;
/** Consecutive Marquardt-damped steps (indefinite Hessians) before Newton gives up. */
const MAX_REGULARISED = 20;
/**
 * Passes one line search may take (halving the step each time; infeasible points cost none):
 * a Newton direction that gains nothing within a step of 1/8 is one to give up on.
 */
const MAX_TRIALS = 4;
/** Consecutive Newton steps that do not halve the decrement before Newton gives up. */
const MAX_STALLED = 3;
/** ...once the second start's own decrement is below this (in the quadratic region). */
const SAME_OPTIMUM_DECREMENT = 0.5;

/**
 * Newton's method in θ with the exact Hessian and backtracking line search (fused models only).
 * Returns where it stopped when it cannot proceed: a Hessian that stays indefinite, no feasible
 * ascent along the Newton direction or steps that stall (an optimum on a boundary), or the
 * iteration cap; null if the start's log-likelihood is not finite.
 */
export function newtonStage(
  model: Model,
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
  const refNeg = ref?.hessian?.map((v) => -v);
  // Outer product of the scores at the accepted point, when its pass collected it (and of the
  // last trial); e and h hold the last pass.
  const opg = new Float64Array(k * k);
  const opgNext = new Float64Array(k * k);
  let opgValid = false;
  let lastIsCurrent = true;
  let ll = evaluateHessian(model, theta, grad, hess);
  const done = (iterations: number, decrement: number): Estimate => {
    if (!lastIsCurrent) evaluate(model, theta); // leave e and h at the estimate
    return {
      theta,
      logLikelihood: ll,
      hessian: Float64Array.from(hess),
      opg: opgValid ? opg : null,
      iterations,
      converged: true,
      message: `converged: Newton decrement ${decrement.toExponential(1)}`,
    };
  };
  const stop = (iterations: number, indefinite: boolean): Stopped => ({
    theta,
    logLikelihood: ll,
    decrement,
    iterations,
    indefinite,
  });
  // Rounding level: steps continue past the convergence criterion, since they are cheap
  // (quadratic convergence) and the benchmark digits need them.
  const tol = options.tol ?? 1e-14 * Math.max(1, Math.abs(ll));
  // A decrement d is followed by one of about c d^2 with c < 0.1: below this, the next pass is
  // expected to be the last, and collects the scores.
  const lastPass = Math.sqrt(10 * tol);
  let decrement = Number.POSITIVE_INFINITY;
  let regularised = 0;
  let stalled = 0;
  let cut = false;
  if (!Number.isFinite(ll)) return null;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const neg = hess.map((v) => -v);
    let l = cholesky(neg, k);
    if (l) regularised = 0;
    else {
      // Not negative definite (far from an optimum, as a grid start can be): an ascent step
      // with Marquardt's damping, -H + lambda diag|H|, until the Hessian turns definite.
      if (++regularised > MAX_REGULARISED) return stop(iteration, true);
      for (let lambda = 1e-3; !l && lambda < 1e7; lambda *= 10) {
        const damped = Float64Array.from(neg);
        for (let i = 0; i < k; i++) damped[i * k + i] += lambda * Math.abs(neg[i * k + i]!);
        l = cholesky(damped, k);
      }
      if (!l) return stop(iteration, true);
    }
    const delta = choleskySolve(l, k, grad);
    const previous = decrement;
    decrement = dot(grad, delta, k);
    // Newton halves the decrement at least, unless the optimum is on a bound (which the
    // general path handles): give up after a few steps that do not.
    stalled = decrement > 0.5 * previous ? stalled + 1 : 0;
    if (stalled >= MAX_STALLED) return stop(iteration, false);
    if (regularised === 0 && decrement < tol) return done(iteration, decrement);
    if (refNeg && regularised === 0 && decrement < SAME_OPTIMUM_DECREMENT) {
      const gap = delta.map((v, i) => theta[i]! + v - ref!.theta[i]!);
      if (dot(gap, matVec(refNeg, k, gap), k) < SAME_OPTIMUM) return "same";
    }
    const withOpg = options.opg === true && regularised === 0 && decrement < lastPass;
    let accepted = false;
    // A Newton step that leaves the feasible set is cut short; if the next one does too, it is
    // taken along the curve the free parameters (transform.ts) trace instead: tangent to the
    // step at θ, it bends away from the constraints, where cut steps would crawl along a bound.
    let curve: { u: Float64Array; du: Float64Array; tr: Transform } | null = null;
    const straight = theta.map((v, i) => v + delta[i]!);
    const wasCut = cut;
    cut = !feasible(model, straight);
    if (cut && wasCut) {
      const tr = makeTransform(model.layout, model.spec.stationarity, model.dist);
      const du = solve(jacobian(tr, theta), k, delta);
      if (du) curve = { u: toFree(tr, theta), du, tr };
    }
    let trials = 0;
    for (let step = 1; step > 1e-8 && !accepted && trials < MAX_TRIALS; step /= 2) {
      let next: Float64Array;
      if (curve) {
        const { u, du, tr } = curve;
        next = new Float64Array(k);
        toNatural(
          tr,
          u.map((v, i) => v + step * du[i]!),
          next,
        );
      } else next = step === 1 ? straight : theta.map((v, i) => v + step * delta[i]!);
      if (!feasible(model, next)) continue;
      trials++;
      const llNext = evaluateHessian(model, next, gradNext, hessNext, withOpg ? opgNext : null);
      lastIsCurrent = false;
      if (!Number.isFinite(llNext)) continue;
      const sufficient = llNext >= ll + 1e-4 * step * decrement;
      const nearOptimum =
        step === 1 && decrement < FULL_STEP_DECREMENT && llNext >= ll - 1e-12 * Math.abs(ll);
      if (sufficient || nearOptimum) {
        theta = next;
        ll = llNext;
        grad.set(gradNext);
        hess.set(hessNext);
        accepted = true;
        lastIsCurrent = true;
        opgValid = withOpg;
        if (withOpg) opg.set(opgNext);
      }
    }
    if (!accepted) {
      if (regularised === 0 && decrement < DECREMENT_TOL) return done(iteration, decrement);
      return stop(iteration, regularised > 0);
    }
  }
  if (regularised === 0 && decrement < DECREMENT_TOL) return done(maxIterations, decrement);
  return stop(maxIterations, regularised > 0);
}
