/**
 * The BFGS stage: quasi-Newton (bfgs.ts) on the negative log-likelihood in free parameters
 * (transform.ts), so every step stays feasible, with the first inverse Hessian from the
 * Hessian of a shorter sample or from the outer product of the scores.
 */
import { evaluate, type Model } from "../likelihood.js";
import { inverseSpd, matMul } from "../linalg.js";
import { gradToFree, jacobian, type Transform, toFree, toNatural } from "../transform.js";
import { minimize } from "./bfgs.js";
import { opgAt } from "./hessian.js";

/** Where BFGS hands over to Newton polishing. */
const BFGS_TOL = 1e-7;

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

export interface Stage {
  theta: Float64Array;
  ll: number;
  iterations: number;
  bfgsConverged: boolean;
  message: string;
}

/** BFGS from θ0 in free parameters; `negHess` (of LL in θ, scaled to this sample) seeds H. */
export function bfgsStage(
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
