/**
 * A reference maximum of a GARCH log-likelihood for tests, found independently of the package's
 * optimisers (which take active-set Newton steps in θ): plain BFGS, unconstrained, in the
 * squared-slack parametrisation θ_i = s_i u_i² for the entries that must not be negative (so a
 * coefficient reaches its bound 0 at u_i = 0 and no point is infeasible) and θ_i = s_i u_i for
 * the others, from many seeded random starts; each run is restarted from its own end until a
 * restart gains nothing, and the best end is kept. Slow (hundreds of passes per start) and for
 * tests only.
 */
import { Random } from "../src/random.js";

/** The problem: a log-likelihood over θ with its gradient, and which entries must be ≥ 0. */
export interface ReferenceProblem {
  /** LL at θ, writing dLL/dθ into `grad`; NaN or -Infinity where undefined. */
  readonly logLikelihood: (theta: Float64Array, grad: Float64Array) => number;
  /** Per entry of θ: true when it must be ≥ 0 (omega, alpha, beta); others are free. */
  readonly nonNegative: readonly boolean[];
  /** A typical size of each entry (the scale s_i of the parametrisation). */
  readonly scale: readonly number[];
  /** Draws a random start (feasible: non-negative entries ≥ 0). */
  readonly start: (rng: Random) => Float64Array;
}

export interface ReferenceOptimum {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
}

function toTheta(p: ReferenceProblem, u: Float64Array): Float64Array {
  return u.map((v, i) => (p.nonNegative[i] ? v * v : v) * p.scale[i]!);
}

function toU(p: ReferenceProblem, theta: Float64Array): Float64Array {
  return theta.map((v, i) =>
    p.nonNegative[i] ? Math.sqrt(Math.max(v, 0) / p.scale[i]!) : v / p.scale[i]!,
  );
}

/** -LL in u and its gradient (chain rule through the parametrisation). */
function objective(p: ReferenceProblem, u: Float64Array, g: Float64Array): number {
  const k = u.length;
  const grad = new Float64Array(k);
  const ll = p.logLikelihood(toTheta(p, u), grad);
  for (let i = 0; i < k; i++) {
    const dtheta = p.nonNegative[i] ? 2 * u[i]! * p.scale[i]! : p.scale[i]!;
    g[i] = -grad[i]! * dtheta;
  }
  return Number.isFinite(ll) ? -ll : Number.POSITIVE_INFINITY;
}

/** BFGS (inverse-Hessian form, Armijo backtracking) from u0 for at most `iterations` steps. */
function bfgs(
  p: ReferenceProblem,
  u0: Float64Array,
  iterations: number,
): { u: Float64Array; f: number } {
  const k = u0.length;
  let u = Float64Array.from(u0);
  let g = new Float64Array(k);
  let f = objective(p, u, g);
  const h = new Float64Array(k * k);
  for (let i = 0; i < k; i++) h[i * k + i] = 1e-2;
  for (let it = 0; it < iterations && Number.isFinite(f); it++) {
    const d = new Float64Array(k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) d[i] -= h[i * k + j]! * g[j]!;
    let slope = 0;
    for (let i = 0; i < k; i++) slope += g[i]! * d[i]!;
    if (!(slope < 0)) {
      h.fill(0);
      for (let i = 0; i < k; i++) h[i * k + i] = 1e-2;
      continue;
    }
    let t = 1;
    let next = u;
    const gNext = new Float64Array(k);
    let fNext = Number.POSITIVE_INFINITY;
    for (let trial = 0; trial < 40; trial++, t /= 2) {
      next = u.map((v, i) => v + t * d[i]!);
      fNext = objective(p, next, gNext);
      if (fNext <= f + 1e-4 * t * slope) break;
    }
    if (!(fNext < f)) break;
    const s = next.map((v, i) => v - u[i]!);
    const y = gNext.map((v, i) => v - g[i]!);
    let sy = 0;
    for (let i = 0; i < k; i++) sy += s[i]! * y[i]!;
    if (sy > 1e-300) {
      const hy = new Float64Array(k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) hy[i] += h[i * k + j]! * y[j]!;
      let yhy = 0;
      for (let i = 0; i < k; i++) yhy += y[i]! * hy[i]!;
      const c = (sy + yhy) / (sy * sy);
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++)
          h[i * k + j] += c * s[i]! * s[j]! - (hy[i]! * s[j]! + s[i]! * hy[j]!) / sy;
    }
    const gain = f - fNext;
    u = next;
    g = gNext;
    f = fNext;
    if (gain < 1e-13 * (1 + Math.abs(f))) break;
  }
  return { u, f };
}

/** BFGS restarted from its own end until a restart gains less than 1e-9. */
function descend(p: ReferenceProblem, theta0: Float64Array): ReferenceOptimum {
  let { u, f } = bfgs(p, toU(p, theta0), 300);
  for (let round = 0; round < 8; round++) {
    const next = bfgs(p, u, 300);
    const gain = f - next.f;
    if (next.f < f) ({ u, f } = next);
    if (!(gain > 1e-9)) break;
  }
  return { theta: toTheta(p, u), logLikelihood: -f };
}

/** The best end of descents from `starts` seeded random starts and the `extra` given ones. */
export function referenceOptimum(
  p: ReferenceProblem,
  starts: number,
  seed: number,
  extra: readonly Float64Array[] = [],
): ReferenceOptimum {
  const rng = new Random(seed);
  let best: ReferenceOptimum | null = null;
  for (const theta of [...extra, ...Array.from({ length: starts }, () => p.start(rng))]) {
    const end = descend(p, theta);
    if (!best || end.logLikelihood > best.logLikelihood) best = end;
  }
  return best!;
}
