/**
 * A smooth one-to-one map between the constrained parameters θ and free parameters u in R^k,
 * so the optimiser can take any step:
 *
 * - mean parameters: u = θ;
 * - omega = exp(u) > 0;
 * - ARCH and GARCH coefficients x_1..x_{p+q}: with stationarity, x_i = exp(u_i) / (1 + sum_j
 *   exp(u_j)), which keeps every x_i > 0 and sum x_i < 1; without it, x_i = exp(u_i);
 * - shape parameters with open bounds (a, b): θ = a + (b - a) / (1 + exp(-u)).
 */
import type { Distribution } from "./distributions.js";
import type { Layout } from "./params.js";

export interface Transform {
  readonly layout: Layout;
  readonly stationarity: boolean;
  readonly shapeBounds: readonly (readonly [number, number])[];
}

export function makeTransform(
  layout: Layout,
  stationarity: boolean,
  dist: Distribution,
): Transform {
  return { layout, stationarity, shapeBounds: dist.shapeBounds };
}

/**
 * Free parameters of θ. θ must be strictly inside the constraints; values on a bound are
 * moved just inside it, since a bound is at u = ±Infinity.
 */
export function toFree(tr: Transform, theta: ArrayLike<number>): Float64Array {
  const { layout } = tr;
  const u = new Float64Array(layout.k);
  for (let i = 0; i < layout.nMean; i++) u[i] = theta[i]!;
  if (layout.omega >= 0) u[layout.omega] = Math.log(Math.max(theta[layout.omega]!, 1e-300));
  const tiny = 1e-10;
  let sum = 0;
  for (let i = layout.alpha; i < layout.shape; i++) sum += Math.max(theta[i]!, tiny);
  const slack = tr.stationarity ? Math.max(1 - sum, tiny) : 1;
  for (let i = layout.alpha; i < layout.shape; i++)
    u[i] = Math.log(Math.max(theta[i]!, tiny) / slack);
  for (let s = 0; s < layout.nShape; s++) {
    const [a, b] = tr.shapeBounds[s]!;
    const f = Math.min(Math.max((theta[layout.shape + s]! - a) / (b - a), tiny), 1 - tiny);
    u[layout.shape + s] = Math.log(f / (1 - f));
  }
  return u;
}

/** θ of free parameters u, written into `theta`. */
export function toNatural(tr: Transform, u: ArrayLike<number>, theta: Float64Array): void {
  const { layout } = tr;
  for (let i = 0; i < layout.nMean; i++) theta[i] = u[i]!;
  if (layout.omega >= 0) theta[layout.omega] = Math.exp(u[layout.omega]!);
  if (tr.stationarity) {
    // Softmax with an implicit zero: subtract the largest exponent so nothing overflows.
    let top = 0;
    for (let i = layout.alpha; i < layout.shape; i++) top = Math.max(top, u[i]!);
    let denom = Math.exp(-top);
    for (let i = layout.alpha; i < layout.shape; i++) denom += Math.exp(u[i]! - top);
    for (let i = layout.alpha; i < layout.shape; i++) theta[i] = Math.exp(u[i]! - top) / denom;
  } else {
    for (let i = layout.alpha; i < layout.shape; i++) theta[i] = Math.exp(u[i]!);
  }
  for (let s = 0; s < layout.nShape; s++) {
    const [a, b] = tr.shapeBounds[s]!;
    theta[layout.shape + s] = a + (b - a) / (1 + Math.exp(-u[layout.shape + s]!));
  }
}

/** Chain rule: gu = J' gθ with J = dθ/du, at the θ that `toNatural` produced. */
export function gradToFree(
  tr: Transform,
  theta: ArrayLike<number>,
  gTheta: ArrayLike<number>,
  gu: Float64Array,
): void {
  const { layout } = tr;
  for (let i = 0; i < layout.nMean; i++) gu[i] = gTheta[i]!;
  if (layout.omega >= 0) gu[layout.omega] = gTheta[layout.omega]! * theta[layout.omega]!;
  let weighted = 0;
  if (tr.stationarity)
    for (let i = layout.alpha; i < layout.shape; i++) weighted += gTheta[i]! * theta[i]!;
  for (let i = layout.alpha; i < layout.shape; i++) gu[i] = theta[i]! * (gTheta[i]! - weighted);
  for (let s = 0; s < layout.nShape; s++) {
    const [a, b] = tr.shapeBounds[s]!;
    const f = (theta[layout.shape + s]! - a) / (b - a);
    gu[layout.shape + s] = gTheta[layout.shape + s]! * (b - a) * f * (1 - f);
  }
}

/** The Jacobian J = dθ/du (k x k, row-major) at θ. */
export function jacobian(tr: Transform, theta: ArrayLike<number>): Float64Array {
  const k = tr.layout.k;
  const j = new Float64Array(k * k);
  const e = new Float64Array(k);
  const col = new Float64Array(k);
  // Row i of J is J' applied to the unit vector e_i.
  for (let i = 0; i < k; i++) {
    e.fill(0);
    e[i] = 1;
    gradToFree(tr, theta, e, col);
    for (let c = 0; c < k; c++) j[i * k + c] = col[c]!;
  }
  return j;
}
