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
 *
 * This module orchestrates; the stages live in optimize/ (newton.ts, bfgs-stage.ts over the
 * generic bfgs.ts, polish.ts, hessian.ts).
 */
import { buildModel, evaluate, type Model } from "./likelihood.js";
import { bfgsStage, type Stage } from "./optimize/bfgs-stage.js";
import { feasible } from "./optimize/constraints.js";
import { type NewtonOptions, newtonStage } from "./optimize/newton.js";
import { polish } from "./optimize/polish.js";
import { type Estimate, isEstimate, type Stopped } from "./optimize/result.js";
import { startingValues } from "./start.js";
import { makeTransform } from "./transform.js";

/** The general path first fits series longer than 1.5x this on a leading block of this length. */
export const WARM_START_LENGTH = 3000;

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
