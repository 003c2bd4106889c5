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

/**
 * The eigenvector of the largest eigenvalue of the symmetric n x n matrix `a` (row-major), by
 * cyclic Jacobi rotations, with that eigenvalue.
 */
export function topEigenvector(
  a: Float64Array,
  n: number,
): { value: number; vector: Float64Array } {
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
  let top = 0;
  for (let i = 1; i < n; i++) if (m[i * n + i]! > m[top * n + top]!) top = i;
  return {
    value: m[top * n + top]!,
    vector: Float64Array.from({ length: n }, (_, i) => v[i * n + top]!),
  };
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
  const k = c.k;
  const free = freeCoordinates(held);
  const f = free.length;
  if (f === 0) return null;
  // In the parameters scaled to unit curvature, so that one step length suits them all.
  const scale = free.map((i) => 1 / Math.sqrt(Math.max(Math.abs(hess[i * k + i]!), 1e-300)));
  const scaled = new Float64Array(f * f);
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < f; b++)
      scaled[a * f + b] = scale[a]! * scale[b]! * hess[free[a]! * k + free[b]!]!;
  }
  const { value, vector } = topEigenvector(scaled, f);
  if (!(value > 0)) return null;
  let best: Float64Array | null = null;
  let bestLl = start;
  for (const sign of [1, -1]) {
    const d = new Float64Array(k);
    free.forEach((i, a) => {
      d[i] = sign * scale[a]! * vector[a]!;
    });
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
      if (ll > bestLl) {
        bestLl = ll;
        best = next;
      }
      if (reach.alpha < 1) break; // on a limit: no further along this side
    }
  }
  evaluate(model, theta); // leave the model's residuals and variances at θ
  return best;
}
