/**
 * The Hessian of the log-likelihood (exact from the fused pass, or by differences of the
 * analytic gradient) and the outer product of the scores: what Newton steps and the standard
 * errors need.
 */
import { outerProduct } from "../covariance.js";
import { evaluate, evaluateHessian, type Model } from "../likelihood.js";

/**
 * The log-likelihood at θ, with its gradient written to `grad` when given, leaving the model's
 * residuals and variances at θ: the model's own (`evaluate`), or in other coordinates of the
 * parameters (optimize/kink.ts holds the mean on a kink in coordinates that make it a limit).
 */
export type Objective = (theta: Float64Array, grad?: Float64Array) => number;

/** The model's log-likelihood in θ as an `Objective`. */
export function objectiveOf(model: Model): Objective {
  return (theta, grad) => evaluate(model, theta, grad);
}

/** Largest sample whose Hessian is taken by central differences (see `hessianAt`). */
const CENTRAL_HESSIAN_MAX = 20_000;

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
 * observations, and enough for Newton steps). With `objective`, the Hessian of that function
 * instead, by differences along its coordinates (with the steps of the model's parameters).
 */
export function hessianAt(model: Model, theta: Float64Array, objective?: Objective): Float64Array {
  const k = model.layout.k;
  const hess = new Float64Array(k * k);
  if (!objective && Number.isFinite(evaluateHessian(model, theta, new Float64Array(k), hess))) {
    return hess;
  }
  const value = objective ?? objectiveOf(model);
  const gp = new Float64Array(k);
  const gm = new Float64Array(k);
  const central = model.nEff <= CENTRAL_HESSIAN_MAX;
  if (!central) value(theta, gm);
  const x = Float64Array.from(theta);
  for (let i = 0; i < k; i++) {
    const step = fdStep(model, theta, i);
    x[i] = theta[i]! + step;
    value(x, gp);
    if (central) {
      x[i] = theta[i]! - step;
      value(x, gm);
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
  value(theta); // leave the model's residuals and variances at θ
  return hess;
}

/**
 * Outer product of the per-observation scores at θ (k x k): from the fused pass where it
 * applies (one pass, no per-observation array), otherwise from the general pass's scores.
 */
export function opgAt(model: Model, theta: Float64Array): Float64Array {
  const k = model.layout.k;
  if (model.fused) {
    const opg = new Float64Array(k * k);
    const ll = evaluateHessian(model, theta, new Float64Array(k), new Float64Array(k * k), opg);
    if (Number.isFinite(ll)) return opg;
  }
  if (model.scores.length === 0) model.scores = new Float64Array(model.nEff * k);
  evaluate(model, theta, null, model.scores);
  return outerProduct(model.scores, model.nEff, k);
}
