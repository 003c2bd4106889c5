/**
 * Exact maximum likelihood for a bound model:
 *
 * 1. starts from the best points of a coarse grid (start.ts); on long series, first solves the
 *    problem on a leading block of the sample and starts the full problem from that optimum
 *    with its Hessian, which leaves only a few passes over the full sample;
 * 2. BFGS in free parameters (transform.ts) with the analytic gradient, the first inverse
 *    Hessian taken from the outer product of the scores (free with the gradient);
 * 3. Newton polishing in the natural parameters with the Hessian of the log-likelihood
 *    (central differences of the analytic gradient), the same Hessian the standard errors use.
 *
 * GARCH(1,1) with Normal innovations (the fused pass) has an exact Hessian in one pass: there,
 * Newton's method with backtracking runs from the grid starts instead of BFGS, and converges in
 * a handful of passes; where it cannot proceed (a Hessian that is not negative definite, or an
 * optimum on a constraint boundary) the BFGS path above takes over.
 *
 * Convergence is declared only when the Newton decrement g' (-H)^{-1} g, about twice the
 * log-likelihood still to gain, is below tolerance, at an interior optimum with a negative
 * definite Hessian; at a boundary (a coefficient driven to 0, persistence to 1) only the
 * free-parameter criterion is available and the message says so.
 */
import { outerProduct } from "./covariance.js";
import { buildModel, evaluate, evaluateHessian, type Model, persistence } from "./likelihood.js";
import { cholesky, choleskySolve, dot, inverseSpd, matMul } from "./linalg.js";
import { minimize } from "./optimize.js";
import { startingValues } from "./start.js";
import {
  gradToFree,
  jacobian,
  makeTransform,
  type Transform,
  toFree,
  toNatural,
} from "./transform.js";

/** Series longer than this are first fitted on a leading block of this length. */
export const WARM_START_LENGTH = 3000;
/** Largest sample whose Hessian is taken by central differences (see `hessianAt`). */
export const CENTRAL_HESSIAN_MAX = 20_000;
/** Newton decrement (≈ 2 x log-likelihood still to gain) that counts as converged. */
export const DECREMENT_TOL = 1e-7;
/** Where BFGS hands over to Newton polishing. */
const BFGS_TOL = 1e-7;

export interface Estimate {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  /** Hessian of the log-likelihood in θ at (or within rounding of) the estimate; null if unavailable. */
  readonly hessian: Float64Array | null;
  readonly iterations: number;
  readonly converged: boolean;
  readonly message: string;
}

/** Whether θ satisfies the constraints (strictly, for omega and the shapes). */
export function feasible(model: Model, theta: ArrayLike<number>): boolean {
  const { layout, spec, dist } = model;
  if (layout.omega >= 0 && !(theta[layout.omega]! > 0)) return false;
  for (let i = layout.alpha; i < layout.shape; i++) if (!(theta[i]! >= 0)) return false;
  if (spec.stationarity && !(persistence(layout, theta) < 1)) return false;
  for (let s = 0; s < layout.nShape; s++) {
    const [a, b] = dist.shapeBounds[s]!;
    const v = theta[layout.shape + s]!;
    if (!(v > a && v < b)) return false;
  }
  return true;
}

/** Step for central differences in parameter i: relative, with a floor on the parameter's scale. */
function fdStep(model: Model, theta: ArrayLike<number>, i: number): number {
  const { layout, dist } = model;
  let floor = 1e-3;
  if (i < layout.nMean) floor = 1e-2 * Math.sqrt(model.variance);
  else if (i === layout.omega) floor = 1e-3 * model.variance;
  let step = 1e-5 * Math.max(Math.abs(theta[i]!), floor);
  if (i >= layout.shape) {
    const [a, b] = dist.shapeBounds[i - layout.shape]!;
    step = Math.min(step, 0.5 * (theta[i]! - a), 0.5 * (b - theta[i]!));
  }
  return step;
}

/**
 * Hessian of the log-likelihood at θ: exact where the fused pass gives it, otherwise by
 * differences of the analytic gradient, symmetrised:
 * central (2k passes, relative error ~1e-10) up to `CENTRAL_HESSIAN_MAX` observations, forward
 * beyond (k + 1 passes, ~1e-5: far below the sampling error of standard errors from that many
 * observations, and enough for Newton steps).
 */
export function hessianAt(model: Model, theta: Float64Array): Float64Array {
  const k = model.layout.k;
  const hess = new Float64Array(k * k);
  if (Number.isFinite(evaluateHessian(model, theta, new Float64Array(k), hess))) return hess;
  const gp = new Float64Array(k);
  const gm = new Float64Array(k);
  const central = model.nEff <= CENTRAL_HESSIAN_MAX;
  if (!central) evaluate(model, theta, gm);
  const x = Float64Array.from(theta);
  for (let i = 0; i < k; i++) {
    const step = fdStep(model, theta, i);
    x[i] = theta[i]! + step;
    evaluate(model, x, gp);
    if (central) {
      x[i] = theta[i]! - step;
      evaluate(model, x, gm);
    }
    x[i] = theta[i]!;
    const width = central ? 2 * step : step;
    for (let j = 0; j < k; j++) hess[j * k + i] = (gp[j]! - gm[j]!) / width;
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (hess[i * k + j]! + hess[j * k + i]!);
      hess[i * k + j] = v;
      hess[j * k + i] = v;
    }
  }
  evaluate(model, theta); // leave the model's residuals and variances at θ
  return hess;
}

/** Inverse Hessian of -LL in free parameters from a Hessian of LL in θ: (J' (-H) J)^{-1}. */
function freeInverseHessian(
  tr: Transform,
  theta: Float64Array,
  negHess: Float64Array,
): Float64Array | null {
  const k = tr.layout.k;
  const j = jacobian(tr, theta);
  const jt = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) jt[a * k + b] = j[b * k + a]!;
  return inverseSpd(matMul(jt, matMul(negHess, j, k), k), k);
}

/** Outer product of the per-observation scores at θ (k x k). */
function opgAt(model: Model, theta: Float64Array): Float64Array {
  const k = model.layout.k;
  const scores = new Float64Array(model.nEff * k);
  evaluate(model, theta, null, scores);
  return outerProduct(scores, model.nEff, k);
}

interface Stage {
  theta: Float64Array;
  ll: number;
  iterations: number;
  bfgsConverged: boolean;
  message: string;
}

/** BFGS from θ0 in free parameters; `negHess` (of LL in θ, scaled to this sample) seeds H. */
function bfgsStage(
  model: Model,
  tr: Transform,
  theta0: Float64Array,
  negHess: Float64Array | null,
  maxIterations: number,
): Stage {
  const k = model.layout.k;
  const theta = new Float64Array(k);
  const gTheta = new Float64Array(k);
  const objective = {
    k,
    valueGrad(u: Float64Array, g: Float64Array): number {
      toNatural(tr, u, theta);
      const ll = evaluate(model, theta, gTheta);
      gradToFree(tr, theta, gTheta, g);
      for (let i = 0; i < k; i++) g[i] = -g[i]!;
      return Number.isFinite(ll) ? -ll : Number.NaN;
    },
  };
  const u0 = toFree(tr, theta0);
  const start = new Float64Array(k);
  toNatural(tr, u0, start);
  const h0 = freeInverseHessian(tr, start, negHess ?? opgAt(model, start));
  const res = minimize(objective, u0, {
    inverseHessian: h0,
    maxIterations,
    decrementTol: BFGS_TOL,
  });
  const out = new Float64Array(k);
  toNatural(tr, res.u, out);
  return {
    theta: out,
    ll: -res.f,
    iterations: res.iterations,
    bfgsConverged: res.converged,
    message: res.message,
  };
}

/**
 * Newton steps in θ with one Hessian (the chord method: the Hessian hardly changes over the
 * last steps). Returns the Hessian at the start of polishing, refreshed if a step was large.
 */
function polish(model: Model, stage: Stage): Estimate {
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

/** Decrement below which a full Newton step is taken on rounding-level gains (near the optimum). */
const FULL_STEP_DECREMENT = 1e-3;

/**
 * Newton's method in θ with the exact Hessian and backtracking line search (fused models only).
 * Returns null where it cannot proceed: a Hessian that is not negative definite, no feasible
 * ascent along the Newton direction (an optimum on a boundary), or the iteration cap.
 */
function newtonStage(model: Model, theta0: Float64Array, maxIterations: number): Estimate | null {
  const k = model.layout.k;
  let theta = Float64Array.from(theta0);
  const grad = new Float64Array(k);
  const hess = new Float64Array(k * k);
  const gradNext = new Float64Array(k);
  const hessNext = new Float64Array(k * k);
  let ll = evaluateHessian(model, theta, grad, hess);
  const done = (iterations: number, decrement: number): Estimate => ({
    theta,
    logLikelihood: ll,
    hessian: Float64Array.from(hess),
    iterations,
    converged: true,
    message: `converged: Newton decrement ${decrement.toExponential(1)}`,
  });
  let decrement = Number.POSITIVE_INFINITY;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (!Number.isFinite(ll)) return null;
    const l = cholesky(
      hess.map((v) => -v),
      k,
    );
    if (!l) return null;
    const delta = choleskySolve(l, k, grad);
    decrement = dot(grad, delta, k);
    // Steps continue past the convergence criterion down to rounding level: they are cheap
    // (quadratic convergence) and the benchmark digits need them.
    if (decrement < 1e-14 * Math.max(1, Math.abs(ll))) return done(iteration, decrement);
    let accepted = false;
    for (let step = 1; step > 1e-8 && !accepted; step /= 2) {
      const next = theta.map((v, i) => v + step * delta[i]!);
      if (!feasible(model, next)) continue;
      const llNext = evaluateHessian(model, next, gradNext, hessNext);
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
      }
    }
    if (!accepted) return decrement < DECREMENT_TOL ? done(iteration, decrement) : null;
  }
  return decrement < DECREMENT_TOL ? done(maxIterations, decrement) : null;
}

/**
 * Estimation for fused models by Newton's method: from the two best grid starts, or on long
 * series from the optimum on a leading block. Null hands over to the general path.
 */
function newtonEstimate(model: Model, maxIterations: number): Estimate | null {
  if (model.nEff > WARM_START_LENGTH * 1.5) {
    const head = buildModel(model.r.subarray(0, WARM_START_LENGTH + model.t0), model.spec);
    const first = estimate(head, maxIterations);
    if (!first.converged) return null;
    const full = newtonStage(model, first.theta, maxIterations);
    return full && { ...full, iterations: full.iterations + first.iterations };
  }
  let best: Estimate | null = null;
  let iterations = 0;
  // Two starts from different grid points guard against a poor local optimum.
  for (const start of startingValues(model).slice(0, 2)) {
    const found = newtonStage(model, start.theta, maxIterations);
    if (!found) return null;
    iterations += found.iterations;
    if (!best || found.logLikelihood > best.logLikelihood) best = found;
  }
  if (!best) return null;
  evaluate(model, best.theta); // leave the model's residuals and variances at the estimate
  return { ...best, iterations };
}

/** Maximum likelihood estimate of a bound model. */
export function estimate(model: Model, maxIterations: number): Estimate {
  if (model.fused) {
    const newton = newtonEstimate(model, maxIterations);
    if (newton) return newton;
  }
  const tr = makeTransform(model.layout, model.spec.stationarity, model.dist);
  if (model.nEff > WARM_START_LENGTH * 1.5) {
    const head = buildModel(model.r.subarray(0, WARM_START_LENGTH + model.t0), model.spec);
    const first = estimate(head, maxIterations);
    if (first.hessian && Number.isFinite(first.logLikelihood)) {
      const scale = model.nEff / head.nEff;
      const negHess = first.hessian.map((v) => -v * scale);
      const stage = bfgsStage(model, tr, first.theta, negHess, maxIterations);
      return polish(model, { ...stage, iterations: stage.iterations + first.iterations });
    }
  }
  const starts = startingValues(model);
  if (starts.length === 0) {
    const theta = new Float64Array(model.layout.k).fill(Number.NaN);
    return {
      theta,
      logLikelihood: Number.NaN,
      hessian: null,
      iterations: 0,
      converged: false,
      message: "no starting value gives a finite log-likelihood",
    };
  }
  // Two starts from different grid points guard against a poor local optimum.
  let best: Stage | null = null;
  let iterations = 0;
  for (const s of starts.slice(0, 2)) {
    const stage = bfgsStage(model, tr, s.theta, null, maxIterations);
    iterations += stage.iterations;
    if (!best || stage.ll > best.ll || (!Number.isFinite(best.ll) && Number.isFinite(stage.ll)))
      best = stage;
  }
  return polish(model, { ...best!, iterations });
}
