/**
 * Unconstrained quasi-Newton minimisation (BFGS on the inverse Hessian, backtracking Armijo line
 * search with safeguarded quadratic interpolation). Generic over the objective: the GARCH
 * estimator hands it the negative log-likelihood in free parameters (see transform.ts).
 */
import { dot, matVec } from "../linalg.js";

/** An objective on R^k with its gradient. */
export interface Objective {
  readonly k: number;
  /** f(u), writing the gradient into g; NaN or Infinity where f is undefined. */
  valueGrad(u: Float64Array, g: Float64Array): number;
}

export interface MinimizeOptions {
  /** Initial inverse-Hessian approximation (k x k); scaled identity when absent. */
  readonly inverseHessian?: Float64Array | null;
  readonly maxIterations: number;
  /** Stop when the Newton decrement g' H g (≈ 2 (f - min f)) falls below this. */
  readonly decrementTol: number;
  /** Largest step in any coordinate of u per iteration (keeps early steps sane). */
  readonly maxStep?: number;
}

export interface MinimizeResult {
  readonly u: Float64Array;
  readonly f: number;
  readonly grad: Float64Array;
  /** Final inverse-Hessian approximation. */
  readonly inverseHessian: Float64Array;
  readonly iterations: number;
  readonly evaluations: number;
  /** Newton decrement g' H g at the end. */
  readonly decrement: number;
  readonly converged: boolean;
  readonly message: string;
}

function identity(k: number, scale: number): Float64Array {
  const m = new Float64Array(k * k);
  for (let i = 0; i < k; i++) m[i * k + i] = scale;
  return m;
}

/** BFGS update of the inverse Hessian H with step s and gradient change y (s'y > 0). */
function bfgsUpdate(
  h: Float64Array,
  k: number,
  s: Float64Array,
  y: Float64Array,
  hy: Float64Array,
): void {
  const sy = dot(s, y, k);
  matVec(h, k, y, hy);
  const yhy = dot(y, hy, k);
  const c = (sy + yhy) / (sy * sy);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      h[i * k + j] += c * s[i]! * s[j]! - (hy[i]! * s[j]! + s[i]! * hy[j]!) / sy;
    }
  }
}

/** Minimises `obj` from u0. Never throws on numerical trouble: it reports it. */
export function minimize(
  obj: Objective,
  u0: Float64Array,
  options: MinimizeOptions,
): MinimizeResult {
  const k = obj.k;
  const maxStep = options.maxStep ?? 4;
  let u: Float64Array = Float64Array.from(u0);
  let g: Float64Array = new Float64Array(k);
  let f = obj.valueGrad(u, g);
  let evaluations = 1;
  const fail = (message: string): MinimizeResult => ({
    u,
    f,
    grad: g,
    inverseHessian: h,
    iterations,
    evaluations,
    decrement: Number.NaN,
    converged: false,
    message,
  });
  let h: Float64Array = options.inverseHessian
    ? Float64Array.from(options.inverseHessian)
    : identity(k, 1);
  let scaled = options.inverseHessian != null;
  let iterations = 0;
  if (!Number.isFinite(f)) return fail("the objective is not finite at the starting values");
  const d = new Float64Array(k);
  const uNew = new Float64Array(k);
  let gNew: Float64Array = new Float64Array(k);
  const s = new Float64Array(k);
  const y = new Float64Array(k);
  const hy = new Float64Array(k);
  let decrement = dot(g, matVec(h, k, g), k);
  while (iterations < options.maxIterations) {
    if (decrement < options.decrementTol) break;
    iterations++;
    matVec(h, k, g, d);
    for (let i = 0; i < k; i++) d[i] = -d[i]!;
    let slope = dot(g, d, k);
    if (!(slope < 0)) {
      // H lost positive definiteness to rounding: restart from steepest descent.
      h = identity(k, 1 / Math.max(1, Math.sqrt(dot(g, g, k))));
      scaled = false;
      matVec(h, k, g, d);
      for (let i = 0; i < k; i++) d[i] = -d[i]!;
      slope = dot(g, d, k);
    }
    let big = 0;
    for (let i = 0; i < k; i++) big = Math.max(big, Math.abs(d[i]!));
    let t = big > maxStep ? maxStep / big : 1;
    let fNew = Number.NaN;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < k; i++) uNew[i] = u[i]! + t * d[i]!;
      fNew = obj.valueGrad(uNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      // Quadratic interpolation of f along d, kept within [0.1 t, 0.5 t].
      const tq = Number.isFinite(fNew) ? (-slope * t * t) / (2 * (fNew - f - slope * t)) : 0.1 * t;
      t = Math.min(0.5 * t, Math.max(0.1 * t, tq));
    }
    if (!accepted) {
      decrement = dot(g, matVec(h, k, g), k);
      return {
        ...fail("the line search found no decrease (at the limit of numerical precision?)"),
        decrement,
      };
    }
    for (let i = 0; i < k; i++) {
      s[i] = uNew[i]! - u[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y, k);
    if (sy > 1e-12 * Math.sqrt(dot(s, s, k) * dot(y, y, k))) {
      if (!scaled) {
        // Shanno-Phua scaling of the first approximation.
        h = identity(k, sy / dot(y, y, k));
        scaled = true;
      }
      bfgsUpdate(h, k, s, y, hy);
    }
    u = Float64Array.from(uNew);
    [g, gNew] = [gNew, g];
    f = fNew;
    decrement = dot(g, matVec(h, k, g), k);
  }
  const converged = decrement < options.decrementTol;
  return {
    u,
    f,
    grad: g,
    inverseHessian: h,
    iterations,
    evaluations,
    decrement,
    converged,
    message: converged
      ? "converged: Newton decrement below tolerance"
      : `stopped at the iteration limit (${options.maxIterations}) with Newton decrement ${decrement.toExponential(2)}`,
  };
}
