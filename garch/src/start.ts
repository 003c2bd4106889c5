/**
 * Starting values: mean parameters by least squares, then a grid over persistence
 * (sum alpha + sum beta) and the ARCH share of it, with omega from variance targeting
 * (omega = s^2 (1 - persistence)), ranked by the log-likelihood. Starting from the best grid
 * points rather than one guess is what keeps the optimiser out of the poor local optima that
 * flat GARCH likelihoods have.
 */

import { evaluate, logLikelihoods, type Model } from "./likelihood.js";
import { cholesky, choleskySolve } from "./linalg.js";

const PERSISTENCE = [0.6, 0.9, 0.97, 0.995];
const ARCH_TOTAL = [0.04, 0.1, 0.25];

/**
 * An optimum whose ARCH coefficients sum below this shows little ARCH effect. On such series
 * (near white noise, or alpha about 0.03) the likelihood often has other maxima the grid's best
 * points do not lead to: alpha at 0 with beta near 1 (a slowly moving variance), or beta at 0.
 * Local estimation then also runs from the weak-ARCH starts.
 */
const WEAK_ARCH = 0.05;
/** The ARCH total of the low-ARCH starts, at each persistence of the grid. */
const LOW_ARCH = 0.005;
/** The ARCH totals of the ARCH-only starts (beta = 0). */
const ARCH_ONLY = [0.05, 0.2];

/** Least-squares mean parameters (sample mean; AR by OLS on the conditional sample). */
function meanStart(model: Model, theta: Float64Array): void {
  const m = model.layout.nMean;
  if (m === 0) return;
  const { r, t0, n } = model;
  // Normal equations of r_t on (1, r_{t-1}, ..., r_{t-lags}).
  const xtx = new Float64Array(m * m);
  const xty = new Float64Array(m);
  const row = new Float64Array(m);
  for (let t = t0; t < n; t++) {
    row[0] = 1;
    for (let i = 1; i < m; i++) row[i] = r[t - i]!;
    for (let a = 0; a < m; a++) {
      xty[a] += row[a]! * r[t]!;
      for (let b = 0; b < m; b++) xtx[a * m + b] += row[a]! * row[b]!;
    }
  }
  const l = cholesky(xtx, m);
  if (l) theta.set(choleskySolve(l, m, xty), 0);
  else theta[0] = xty[0]! / (n - t0);
}

/** Spreads a total over `count` lags with geometrically decaying weights (most on lag 1). */
function spread(theta: Float64Array, from: number, count: number, total: number): void {
  let w = 0;
  for (let i = 0; i < count; i++) w += 0.5 ** i;
  for (let i = 0; i < count; i++) theta[from + i] = (total * 0.5 ** i) / w;
}

/** A candidate start and its log-likelihood. */
export interface Start {
  readonly theta: Float64Array;
  readonly ll: number;
}

/** Grid starts, best first (NaN likelihoods dropped). */
export function startingValues(model: Model): Start[] {
  const grid: [number, number][] = [];
  if (model.spec.q === 0) {
    for (const a of [0.1, 0.3, 0.6]) grid.push([a, a]);
  } else {
    for (const pers of PERSISTENCE) for (const a of ARCH_TOTAL) if (a < pers) grid.push([pers, a]);
  }
  return gridStarts(model, grid);
}

/** Whether the ARCH coefficients of `theta` sum below {@link WEAK_ARCH}. */
export function weakArch(model: Model, theta: ArrayLike<number>): boolean {
  let total = 0;
  for (let i = 0; i < model.spec.p; i++) total += theta[model.layout.alpha + i]!;
  return total < WEAK_ARCH;
}

/**
 * The weak-ARCH starts of a model with GARCH terms: the best low-ARCH point (`LOW_ARCH` at each
 * grid persistence) and the best ARCH-only point (beta = 0).
 */
export function weakArchStarts(model: Model): Float64Array[] {
  if (model.spec.q === 0) return [];
  const points: [number, number][] = [
    ...PERSISTENCE.map((pers): [number, number] => [pers, LOW_ARCH]),
    ...ARCH_ONLY.map((a): [number, number] => [a, a]),
  ];
  const starts = gridStarts(model, points);
  const archOnly = (s: Start) => s.theta[model.layout.beta]! === 0;
  return [starts.find((s) => !archOnly(s)), starts.find(archOnly)]
    .filter((s) => s !== undefined)
    .map((s) => s.theta);
}

/**
 * The starts at grid points `(persistence, ARCH total)`, best first: mean parameters by least
 * squares, omega by variance targeting, the ARCH total spread over the alphas and the rest of
 * the persistence over the betas.
 */
function gridStarts(model: Model, grid: readonly (readonly [number, number])[]): Start[] {
  const { layout, spec, r, t0, n } = model;
  const base = new Float64Array(layout.k);
  meanStart(model, base);
  // Residual mean square at the least-squares mean.
  let s2 = 0;
  for (let t = t0; t < n; t++) {
    let e = spec.mean.kind === "zero" ? r[t]! : r[t]! - base[0]!;
    for (let i = 1; i < layout.nMean; i++) e -= base[i]! * r[t - i]!;
    s2 += e * e;
  }
  s2 /= n - t0;
  base.set(model.dist.shapeStart, layout.shape);
  // A plain loop and `set`, not `map` and `forEach`: the arrays that reach `logLikelihoods` then
  // always have one V8 layout (`map` gives packed or holey arrays depending on whether it was
  // optimised; the shape starts are small integers for some distributions and doubles for
  // others), which would otherwise deoptimise this function again and again.
  const thetas: Float64Array[] = [];
  for (const [pers, a] of grid) {
    const theta = Float64Array.from(base);
    if (layout.omega >= 0) theta[layout.omega] = s2 * (1 - pers);
    spread(theta, layout.alpha, spec.p, a);
    if (spec.q > 0) spread(theta, layout.beta, spec.q, pers - a);
    thetas.push(theta);
  }
  // All grid points in one pass where the fused pass applies; one pass each otherwise (and
  // where a variance left the fused pass's bounds).
  const lls = logLikelihoods(model, thetas);
  const starts: Start[] = [];
  for (let i = 0; i < thetas.length; i++) {
    const theta = thetas[i]!;
    const ll = Number.isNaN(lls[i]!) ? evaluate(model, theta) : lls[i]!;
    if (Number.isFinite(ll)) starts.push({ theta, ll });
  }
  return starts.sort((x, y) => y.ll - x.ll);
}
