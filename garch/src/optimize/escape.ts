/**
 * Leaving a saddle. A stage can end where the gradient on the free parameters is 0 but the
 * Hessian is not negative definite there: a saddle, typically in the long, nearly flat valley
 * that a weak-GARCH likelihood has on the face alpha = 0. Newton's steps cannot leave it (the
 * gradient gives them nothing to follow), but the direction of most positive curvature leads
 * uphill on both sides. The search below follows it each way, in the parameters scaled by
 * their curvature, and returns the better point reached; a Newton stage takes it from there.
 */
import { evaluate, type Model } from "../likelihood.js";
import { freeCoordinates, maxStep, moveTo } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import type { Estimate } from "./result.js";

/** Jacobi sweeps at most (a few suffice for the handful of parameters of a GARCH model). */
const MAX_SWEEPS = 50;
/** Step lengths tried along the direction, in units of its curvature scale, doubling. */
const FIRST_STEP = 1e-2;
const MAX_DOUBLINGS = 40;

/** Eigenvalues (largest first) and unit eigenvectors of a symmetric matrix. */
interface Eigen {
  readonly values: Float64Array;
  readonly vectors: readonly Float64Array[];
}

/**
 * The eigenvalues and eigenvectors of the symmetric n x n matrix `a` (row-major), by cyclic
 * Jacobi rotations, largest eigenvalue first.
 */
export function symmetricEigen(a: Float64Array, n: number): Eigen {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (!(off > 1e-30)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => m[y * n + y]! - m[x * n + x]!,
  );
  return {
    values: Float64Array.from(order, (i) => m[i * n + i]!),
    vectors: order.map((j) => Float64Array.from({ length: n }, (_, i) => v[i * n + j]!)),
  };
}

/**
 * The directions of curvature of the Hessian on the free coordinates of `held`: its
 * eigenvalues, largest first, in the parameters scaled to unit curvature (each free coordinate
 * divided by the square root of its diagonal entry, so that one step length and one tolerance
 * suit them all), and each eigenvector as a step in θ of unit curvature scale. Null with no
 * free coordinate.
 */
export function curvatureDirections(
  hess: Float64Array,
  held: Uint8Array,
  k: number,
): { values: Float64Array; directions: Float64Array[] } | null {
  const free = freeCoordinates(held);
  const f = free.length;
  if (f === 0) return null;
  const scale = free.map((i) => 1 / Math.sqrt(Math.max(Math.abs(hess[i * k + i]!), 1e-300)));
  const matrix = new Float64Array(f * f);
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < f; b++)
      matrix[a * f + b] = scale[a]! * scale[b]! * hess[free[a]! * k + free[b]!]!;
  }
  const { values, vectors } = symmetricEigen(matrix, f);
  const directions = vectors.map((vector) => {
    const d = new Float64Array(k);
    free.forEach((i, a) => {
      d[i] = scale[a]! * vector[a]!;
    });
    return d;
  });
  return { values, directions };
}

/**
 * The best point along θ + t·d, t > 0, by doubling steps from FIRST_STEP until the
 * log-likelihood stops rising or a limit is reached; null where the first step gains nothing
 * over `start` (θ's log-likelihood). Leaves the model's residuals and variances at the last
 * point tried.
 */
function bestAlong(
  model: Model,
  c: Constraints,
  theta: Float64Array,
  start: number,
  d: Float64Array,
): { theta: Float64Array; logLikelihood: number } | null {
  let best: { theta: Float64Array; logLikelihood: number } | null = null;
  let previous = start;
  for (let j = 0, t = FIRST_STEP; j < MAX_DOUBLINGS; j++, t *= 2) {
    const reach = maxStep(
      c,
      theta,
      d.map((v) => v * t),
    );
    const next = moveTo(c, theta, d, t * reach.alpha, { ...reach, alpha: t * reach.alpha });
    const ll = evaluate(model, next);
    if (!(ll > previous)) break;
    previous = ll;
    best = { theta: next, logLikelihood: ll };
    if (reach.alpha < 1) break; // on a limit: no further this way
  }
  return best;
}

/**
 * From an estimate whose Hessian is not negative definite on its free parameters, the better
 * point along the direction of most positive curvature there; null where that curvature is not
 * positive (no saddle), where there is no Hessian, or where neither side gains. On the
 * persistence limit the direction is not searched (null).
 */
export function escapeSaddle(
  model: Model,
  c: Constraints,
  estimate: Estimate,
): Float64Array | null {
  const { theta, hessian: hess, held, onPersistence, logLikelihood: start } = estimate;
  if (onPersistence || !hess) return null;
  const curvature = curvatureDirections(hess, held, c.k);
  if (!curvature || !(curvature.values[0]! > 0)) return null;
  const up = curvature.directions[0]!;
  let best: Float64Array | null = null;
  let bestLl = start;
  for (const d of [up, up.map((v) => -v)]) {
    const reached = bestAlong(model, c, theta, start, d);
    if (reached && reached.logLikelihood > bestLl) {
      bestLl = reached.logLikelihood;
      best = reached.theta;
    }
  }
  evaluate(model, theta); // leave the model's residuals and variances at θ
  return best;
}
