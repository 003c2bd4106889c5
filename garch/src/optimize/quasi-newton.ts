/**
 * The quasi-Newton stage for models without an exact Hessian in one pass: constrained steps
 * (active-set.ts) with a BFGS estimate B of -H, started from the outer product of the scores
 * (BHHH: -H and B agree at the optimum of a correctly specified model) or from the Hessian of a
 * shorter sample, and updated with Powell's damping so that it stays positive definite. Steps
 * land on a limit when the optimum is there, as Newton's do. It stops at a loose decrement: the
 * Hessian polish (polish.ts) finishes.
 */
import { evaluate, type Model } from "../likelihood.js";
import { activeSetStep, type Step } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { dominated, headsTo, type Known, QUADRATIC_REGION } from "./early-stop.js";
import { opgAt } from "./hessian.js";
import { lineSearch } from "./line-search.js";

/** How a quasi-Newton run ended. */
export type QuasiEnd =
  | "converged"
  /** Heading for an optimum already found. */
  | "same"
  /** Cannot beat the best optimum found. */
  | "dominated"
  /** No ascent along the step, or the iteration cap. */
  | "stopped";

export interface QuasiResult {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  /** The BFGS estimate of -H at the end. */
  readonly curvature: Float64Array;
  readonly decrement: number;
  readonly iterations: number;
  readonly end: QuasiEnd;
}

export interface QuasiOptions {
  /** Stop once the decrement is below this. */
  readonly tol: number;
  /** Initial estimate of -H (k x k); the outer product of the scores at the start when absent. */
  readonly curvature?: Float64Array | null;
  /** Optima already found: stop once the run heads for one of them. */
  readonly known?: readonly Known[];
  /** The best log-likelihood found so far: stop once the run cannot beat it. */
  readonly best?: number;
}

/** Trials one line search may take, halving the step each time. */
const MAX_TRIALS = 30;
/**
 * Consecutive damped steps (B not positive definite on the free parameters) that gain nothing
 * beyond rounding (1e-12 of the log-likelihood, the line search's own tolerance) after which a
 * run ends as it would at the iteration cap. BFGS keeps B positive definite in exact arithmetic
 * only: started from a singular outer product of the scores, or updated along a nearly flat
 * direction, B can fail the factorisation at every step, and every step is then a damped one,
 * whose decrement is not the Newton decrement, so the convergence test never applies. Where
 * those steps still gain (along the flat ridge of a white-noise fit they climb it), the run goes
 * on; where they only shuttle within rounding of one point, the rest of the cap changes nothing
 * (in a GARCH(3,2)-GED search of 20,000 returns three runs took 200 such steps each, 1,060
 * passes between them).
 */
const STALLED = 10;

/** Powell-damped BFGS update of B (an estimate of -H) with step s and gradient change y = g - g'. */
export function bfgsUpdate(b: Float64Array, k: number, s: Float64Array, y: Float64Array): void {
  const bs = new Float64Array(k);
  let sbs = 0;
  let sy = 0;
  for (let i = 0; i < k; i++) {
    let v = 0;
    for (let j = 0; j < k; j++) v += b[i * k + j]! * s[j]!;
    bs[i] = v;
    sbs += s[i]! * v;
    sy += s[i]! * y[i]!;
  }
  if (!(sbs > 0)) return;
  // Powell: mix y with Bs where the curvature along s is too small, keeping B positive definite.
  const theta = sy >= 0.2 * sbs ? 1 : (0.8 * sbs) / (sbs - sy);
  const r = new Float64Array(k);
  let sr = 0;
  for (let i = 0; i < k; i++) {
    r[i] = theta * y[i]! + (1 - theta) * bs[i]!;
    sr += s[i]! * r[i]!;
  }
  if (!(sr > 0)) return;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      b[i * k + j] = b[i * k + j]! - (bs[i]! * bs[j]!) / sbs + (r[i]! * r[j]!) / sr;
    }
  }
}

/** Quasi-Newton ascent from θ0 (feasible) until the decrement is below `tol` or it stops early. */
export function quasiNewtonStage(
  model: Model,
  c: Constraints,
  theta0: Float64Array,
  maxIterations: number,
  options: QuasiOptions,
): QuasiResult {
  const k = model.layout.k;
  let theta: Float64Array = Float64Array.from(theta0);
  const grad = new Float64Array(k);
  const gradNext = new Float64Array(k);
  let ll = evaluate(model, theta, grad);
  const b = options.curvature ? Float64Array.from(options.curvature) : opgAt(model, theta);
  const s = new Float64Array(k);
  const y = new Float64Array(k);
  let step: Step | null = null;
  const result = (iterations: number, end: QuasiEnd): QuasiResult => ({
    theta,
    logLikelihood: ll,
    curvature: b,
    decrement: step?.decrement ?? Number.POSITIVE_INFINITY,
    iterations,
    end,
  });
  if (!Number.isFinite(ll)) return result(0, "stopped");
  const ended = () => (step!.decrement < options.tol ? "converged" : "stopped");
  // Damped steps in a row that gained nothing beyond rounding.
  let stalled = 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    step = activeSetStep(c, theta, grad, b);
    if (stalled === STALLED) return result(iteration, ended());
    const { decrement } = step;
    if (!step.regularised && decrement < options.tol) return result(iteration, "converged");
    if (!step.regularised && decrement < QUADRATIC_REGION) {
      if (options.known?.some((known) => headsTo(known, theta, step!.d, b)))
        return result(iteration, "same");
      // Only once B has been updated along as many steps as there are parameters: the outer
      // product of the scores at a start can overstate the curvature, and so understate the
      // gain still to come, by a wide margin.
      if (iteration >= k && options.best !== undefined && dominated(options.best, ll, decrement))
        return result(iteration, "dominated");
    }
    const accepted = lineSearch(c, theta, ll, step, MAX_TRIALS, (next) =>
      evaluate(model, next, gradNext),
    );
    if (!accepted) return result(iteration, "stopped");
    for (let i = 0; i < k; i++) {
      s[i] = accepted.theta[i]! - theta[i]!;
      y[i] = grad[i]! - gradNext[i]!;
    }
    bfgsUpdate(b, k, s, y);
    const idle = accepted.logLikelihood - ll <= 1e-12 * Math.abs(ll);
    stalled = step.regularised && idle ? stalled + 1 : 0;
    theta = accepted.theta;
    ll = accepted.logLikelihood;
    grad.set(gradNext);
  }
  step = activeSetStep(c, theta, grad, b);
  return result(maxIterations, ended());
}
