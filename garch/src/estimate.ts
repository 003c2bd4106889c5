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
 * a handful of passes. Far from an optimum it damps indefinite Hessians (Marquardt) and bends
 * steps that would leave the feasible set. Long series go by nested leading blocks, each solved
 * only as far as a start needs; the second grid start stops once it is seen to head for the
 * first one's optimum; the last pass accumulates the outer product of the scores for the OPG
 * standard errors. Where Newton cannot proceed (an optimum on a constraint boundary, say) the
 * BFGS path above takes over.
 *
 * Convergence is declared only when the Newton decrement g' (-H)^{-1} g, about twice the
 * log-likelihood still to gain, is below tolerance, at an interior optimum with a negative
 * definite Hessian; at a boundary (a coefficient driven to 0, persistence to 1) only the
 * free-parameter criterion is available and the message says so.
 */
import { outerProduct } from "./covariance.js";
import { buildModel, evaluate, evaluateHessian, type Model, persistence } from "./likelihood.js";
import { cholesky, choleskySolve, dot, inverseSpd, matMul, matVec } from "./linalg.js";
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

/** The general path first fits series longer than 1.5x this on a leading block of this length. */
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
  /** Outer product of the per-observation scores at the estimate, where estimation had it. */
  readonly opg?: Float64Array | null;
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

interface NewtonOptions {
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

/** Where Newton stopped short of an optimum, and why. */
interface Stopped {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  /** The last Newton decrement (with the last Hessian, damped if `indefinite`). */
  readonly decrement: number;
  readonly iterations: number;
  /** The Hessian stayed indefinite (or the step could not be computed). */
  readonly indefinite: boolean;
}

/**
 * Newton's method in θ with the exact Hessian and backtracking line search (fused models only).
 * Returns where it stopped when it cannot proceed: a Hessian that stays indefinite, no feasible
 * ascent along the Newton direction or steps that stall (an optimum on a boundary), or the
 * iteration cap; null if the start's log-likelihood is not finite.
 */
function newtonStage(
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

/** x with A x = b for a k x k matrix (Gaussian elimination, partial pivoting); null if singular. */
function solve(a: Float64Array, k: number, b: ArrayLike<number>): Float64Array | null {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r * k + c]!) > Math.abs(m[p * k + c]!)) p = r;
    if (!(Math.abs(m[p * k + c]!) > 0)) return null;
    if (p !== c) {
      for (let j = 0; j < k; j++) [m[c * k + j], m[p * k + j]] = [m[p * k + j]!, m[c * k + j]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = c + 1; r < k; r++) {
      const f = m[r * k + c]! / m[c * k + c]!;
      for (let j = c; j < k; j++) m[r * k + j] -= f * m[c * k + j]!;
      x[r] -= f * x[c]!;
    }
  }
  for (let c = k - 1; c >= 0; c--) {
    let v = x[c]!;
    for (let j = c + 1; j < k; j++) v -= m[c * k + j]! * x[j]!;
    x[c] = v / m[c * k + c]!;
  }
  return x;
}

/** Decrement to which a leading block is solved: its optimum is only a start for the rest. */
const HEAD_TOL = 1e-2;
/** Longest series Newton fits directly from grid starts; longer ones go by a leading block. */
const DIRECT_MAX = 4500;
/** Shortest leading block (`headLength`). */
const MIN_HEAD = 1500;

/**
 * Estimation for fused models by Newton's method: from the two best grid starts, or on long
 * series from the optimum on a leading block. Null hands over to the general path. `final`:
 * the estimate is the fit's (otherwise a start for a longer sample): converged to rounding
 * level, with e and h left at it and the outer product of the scores there. A start need not
 * be an optimum: where Newton stops short on a leading block (its optimum on a bound, as small
 * samples with fat tails often have), the point reached starts the longer sample.
 */
function newtonEstimate(
  model: Model,
  maxIterations: number,
  final: boolean,
): Estimate | Stopped | null {
  const options: NewtonOptions = final ? { opg: true } : { tol: HEAD_TOL };
  if (model.nEff > DIRECT_MAX) {
    const head = buildModel(model.r.subarray(0, headLength(model.nEff) + model.t0), model.spec);
    const first = newtonEstimate(head, maxIterations, false);
    if (!first) return null;
    const full = newtonStage(model, first.theta, maxIterations, options);
    if (!full || full === "same") return null;
    return { ...full, iterations: full.iterations + first.iterations };
  }
  const starts = startingValues(model);
  if (starts.length === 0) return null;
  const best = newtonStage(model, starts[0]!.theta, maxIterations, options);
  if (!best || best === "same") return null;
  // Stopped short on the fit's own sample: the general path takes over from where it stopped.
  if (final && !isEstimate(best)) return best;
  if (starts.length < 2) return best;
  // A second start from another grid point guards against a poor local optimum; it stops as
  // soon as it is seen to head for the same one.
  const second = newtonStage(model, starts[1]!.theta, maxIterations, {
    ...options,
    reference: isEstimate(best) ? best : undefined,
  });
  if (second === "same" || !second) {
    if (final) evaluate(model, best.theta); // leave the model's residuals and variances at it
    return best;
  }
  const iterations = best.iterations + second.iterations;
  if (!final) return second.logLikelihood > best.logLikelihood ? second : best;
  if (!isEstimate(second)) {
    // Stopped short (on a bound, say): harmless if even the quadratic model's maximum there
    // is below the optimum found; otherwise the general path decides.
    if (second.indefinite || !(second.logLikelihood + second.decrement / 2 < best.logLikelihood))
      return null;
  } else if (second.logLikelihood > best.logLikelihood) return { ...second, iterations };
  evaluate(model, best.theta);
  return { ...best, iterations };
}

function isEstimate(x: Estimate | Stopped): x is Estimate {
  return "converged" in x;
}

/**
 * The leading block a long series is first fitted on, itself fitted the same way: an eighth of
 * the series, or while that would be fitted directly, a quarter (at least `MIN_HEAD`
 * observations), since there the block's grid and two Newton runs are most of the cost. Each
 * level leaves the next a start a few Newton steps from its optimum for a fraction of a pass
 * over the longer sample.
 */
function headLength(nEff: number): number {
  const eighth = Math.floor(nEff / 8);
  return eighth > DIRECT_MAX ? eighth : Math.max(MIN_HEAD, Math.floor(nEff / 4));
}

/** Maximum likelihood estimate of a bound model. */
export function estimate(model: Model, maxIterations: number): Estimate {
  // Where Newton stopped short (an optimum on a bound, say), BFGS goes on from that point.
  let warm: Stopped | null = null;
  if (model.fused) {
    const newton = newtonEstimate(model, maxIterations, true);
    if (newton && isEstimate(newton)) return newton;
    if (newton && !newton.indefinite && feasible(model, newton.theta)) warm = newton;
  }
  const tr = makeTransform(model.layout, model.spec.stationarity, model.dist);
  if (warm && model.nEff > DIRECT_MAX) {
    // Newton got there from the optimum on a leading block, as BFGS below would start.
    const stage = bfgsStage(model, tr, warm.theta, null, maxIterations);
    return polish(model, { ...stage, iterations: stage.iterations + warm.iterations });
  }
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
  // Two starts from different grid points guard against a poor local optimum; the first is
  // where Newton got from the best one, if it ran.
  if (warm) starts[0] = { theta: warm.theta, ll: warm.logLikelihood };
  let best: Stage | null = null;
  let iterations = warm?.iterations ?? 0;
  for (const s of starts.slice(0, 2)) {
    const stage = bfgsStage(model, tr, s.theta, null, maxIterations);
    iterations += stage.iterations;
    if (!best || stage.ll > best.ll || (!Number.isFinite(best.ll) && Number.isFinite(stage.ll)))
      best = stage;
  }
  return polish(model, { ...best!, iterations });
}
