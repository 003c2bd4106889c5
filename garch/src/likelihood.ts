/**
 * (Over 450 lines on purpose: the general pass's loops over the sample are each a small function
 * of their own, on the model's arrays, since V8 compiles them well only so (see `evaluate`);
 * moving some elsewhere would only spread one pass over two files.)
 *
 * The composed model's log-likelihood, in arch's three steps: residuals from the mean model,
 * conditional variances from the volatility recursion, log-densities from the distribution.
 * One pass gives the total, the analytic gradient and (optionally) the per-observation scores
 * that the OPG and sandwich covariances need.
 *
 * An AR(k) mean makes the likelihood conditional on the first k observations: the sum runs over
 * t = k..n-1 (N = n - k terms), and "the sample" below means those N residuals.
 */
import { type DensityKernel, type Distribution, distribution } from "./distributions.js";
import { fromParams, type Layout, layoutOf } from "./params.js";
import {
  FUSED_BOUNDS,
  fourLogLikelihoods,
  garch11Normal,
  garch11NormalGradient,
} from "./recursions/garch11.js";
import {
  ewmaBackcast,
  garchAdjoint,
  garchRecursion,
  garchRecursionGrad,
  varianceBounds,
} from "./recursions/general.js";
import { checkSeries, checkSpec, meanLags } from "./spec.js";
import type { GarchParams, GarchSpec } from "./types.js";

/** A spec bound to a series, with the workspace every evaluation reuses. */
export interface Model {
  readonly spec: GarchSpec;
  readonly layout: Layout;
  readonly dist: Distribution;
  readonly r: Float64Array;
  readonly n: number;
  /** First observation with a likelihood term (AR lags). */
  readonly t0: number;
  /** Number of likelihood terms, n - t0. */
  readonly nEff: number;
  /** Pre-sample value for ewma and fixed inits (NaN for fcp, where it depends on θ). */
  readonly fixedBackcast: number;
  /** Sample mean and variance of the returns (variance: the scale of the bounds and FD steps). */
  readonly mean: number;
  readonly variance: number;
  /** Whether the fused GARCH(1,1)-Normal pass applies (zero or constant mean, omega estimated). */
  readonly fused: boolean;
  /** Init fcp: the pre-sample value is the residuals' mean square at θ. */
  readonly fcp: boolean;
  readonly lo: number;
  readonly hi: number;
  /** Residuals e_t of the last evaluation (t >= t0). */
  readonly e: Float64Array;
  /** Conditional variances h_t of the last evaluation (t >= t0). */
  readonly h: Float64Array;
  /** The general passes' per-observation arrays, shared with the other models of the series. */
  readonly scratch: Scratch;
  /** Per-observation scores (nEff x k) for the outer product (optimize/hessian.ts). */
  scores: Float64Array;
  readonly dOmega: Float64Array;
  readonly dBackcast: Float64Array;
  readonly dLog: Float64Array;
  /** dLL/d omega and dLL/d backcast from the reverse pass (see `garchAdjoint`). */
  readonly sums: Float64Array;
}

/**
 * What a general pass writes per observation and reads back itself, and leaves to no one: the
 * models of one series (nested orders, leading blocks) share it instead of each allocating (and
 * zeroing) up to n x k doubles of its own, several times a fit. Each array is grown on first use
 * to what the pass needs (fused models rarely need any), and may be longer.
 */
export interface Scratch {
  /** Slope of the soft variance bounds dh_t/dv_t (see `garchRecursion`). */
  dv: Float64Array;
  /** dl_t/dh_t, for the reverse pass and the scores. */
  lh: Float64Array;
  /** The reverse pass's sensitivities mu_t (see `garchAdjoint`). */
  mu: Float64Array;
  /** dl_t/de_t; after the reverse pass, dLL/de_t (see `garchAdjoint`). */
  ge: Float64Array;
  /** dh_t / dθ (n x k, row-major) for the per-observation scores. */
  dh: Float64Array;
}

/** The scratch of each series, by its buffer: dropped with the series (a fit's own copy). */
const scratchOfSeries = new WeakMap<ArrayBufferLike, Scratch>();

function scratchOf(r: Float64Array): Scratch {
  let scratch = scratchOfSeries.get(r.buffer);
  if (!scratch) {
    const none = new Float64Array(0);
    scratch = { dv: none, lh: none, mu: none, ge: none, dh: none };
    scratchOfSeries.set(r.buffer, scratch);
  }
  return scratch;
}

/** `a`, or a new array of `size` if `a` is shorter. */
function grown(a: Float64Array, size: number): Float64Array {
  return a.length >= size ? a : new Float64Array(size);
}

/**
 * Binds a checked spec to a checked series (see `checkSeries`). With `workspace`, the model's
 * residuals and variances are views on the start of its (at least as long) arrays instead of
 * new ones: a model on a leading block of a longer series, solved before the longer one, needs
 * no memory of its own (see `headModel`).
 */
export function buildModel(
  r: Float64Array,
  spec: GarchSpec,
  workspace?: { readonly e: Float64Array; readonly h: Float64Array },
): Model {
  const layout = layoutOf(spec);
  const n = r.length;
  const t0 = meanLags(spec.mean);
  let mean = 0;
  for (let t = 0; t < n; t++) mean += r[t]!;
  mean /= n;
  let variance = 0;
  for (let t = 0; t < n; t++) variance += (r[t]! - mean) ** 2;
  variance /= n;
  const [lo, hi] = varianceBounds(variance);
  const fixedBackcast =
    spec.init.kind === "ewma"
      ? ewmaBackcast(r)
      : spec.init.kind === "fixed"
        ? spec.init.value
        : Number.NaN;
  return {
    spec,
    layout,
    dist: distribution(spec.dist),
    r,
    n,
    t0,
    nEff: n - t0,
    fixedBackcast,
    mean,
    variance,
    fused:
      spec.p === 1 &&
      spec.q === 1 &&
      spec.dist === "normal" &&
      !spec.varianceTargeting &&
      spec.mean.kind !== "ar" &&
      lo > FUSED_BOUNDS[0] &&
      hi < FUSED_BOUNDS[1],
    fcp: spec.init.kind === "fcp",
    lo,
    hi,
    e: workspace ? workspace.e.subarray(0, n) : new Float64Array(n),
    h: workspace ? workspace.h.subarray(0, n) : new Float64Array(n),
    scratch: scratchOf(r),
    scores: new Float64Array(0),
    dOmega: new Float64Array(layout.k),
    dBackcast: new Float64Array(layout.k),
    dLog: new Float64Array(2 + layout.nShape),
    sums: new Float64Array(2),
  };
}

/**
 * The model of the same spec on the first `length` observations of `model`'s series, for a
 * start: its residuals and variances overwrite the start of `model`'s, so it must be solved
 * before `model` is evaluated again. Long fits build one or two per fit; sharing the arrays
 * keeps each fit's allocations (and the collector's work between fits) to the arrays the fit
 * returns.
 */
export function headModel(model: Model, length: number): Model {
  return buildModel(model.r.subarray(0, length), model.spec, model);
}

/** Writes the residuals e_t = r_t - mu - sum phi_i r_{t-i} (t >= t0) into model.e. */
function residuals(model: Model, theta: Float64Array): void {
  const { r, n, t0, e } = model;
  const m = model.layout.nMean;
  if (m === 0) {
    e.set(r);
    return;
  }
  const mu = theta[0]!;
  for (let t = t0; t < n; t++) {
    let v = r[t]! - mu;
    for (let i = 1; i < m; i++) v -= theta[i]! * r[t - i]!;
    e[t] = v;
  }
}

/** Sum of the ARCH and GARCH coefficients. */
export function persistence(layout: Layout, theta: ArrayLike<number>): number {
  let s = 0;
  for (let i = layout.alpha; i < layout.shape; i++) s += theta[i]!;
  return s;
}

/**
 * Mean of e_t^2 over the sample at the current mean parameters: the fcp pre-sample value and
 * the "sample variance of the residuals" that variance targeting scales.
 */
function meanSquare(model: Model): number {
  const { e, t0, n, nEff } = model;
  let s2 = 0;
  for (let t = t0; t < n; t++) s2 += e[t]! * e[t]!;
  return s2 / nEff;
}

/** Writes to `ds2` the derivatives of `meanSquare` with respect to the mean parameters. */
function meanSquareGrad(model: Model, ds2: Float64Array): void {
  ds2.fill(0);
  for (let k = 0; k < model.layout.nMean; k++) ds2[k] = meanSquareDerivative(model, k);
}

/**
 * d meanSquare / dθ_k for mean parameter k. (One loop over t per function, none nested in a
 * loop over the parameters: see `evaluate`.)
 */
function meanSquareDerivative(model: Model, k: number): number {
  const { r, e, t0, n, nEff } = model;
  let d = 0;
  for (let t = t0; t < n; t++) d += (2 * e[t]! * meanDerivative(r, t, k)) / nEff;
  return d;
}

/** de_t / dθ_k for the mean parameters: -1 for mu (k = 0), -r_{t-k} for the AR terms. */
function meanDerivative(r: Float64Array, t: number, k: number): number {
  return k === 0 ? -1 : -r[t - k]!;
}

/**
 * Log-likelihoods at several θ that share the mean (as grid starts do), four to a pass, for
 * models the fused GARCH(1,1) pass covers: the values of `evaluate` (to rounding) at a fraction
 * of the cost, since the four recursions are independent and run side by side. NaN where a variance
 * leaves the soft bounds, the mean differs from the first θ's, or the model is not fused.
 * Leaves model.e and model.h alone.
 */
export function logLikelihoods(model: Model, thetas: readonly Float64Array[]): Float64Array {
  const m = thetas.length;
  const out = new Float64Array(m).fill(Number.NaN);
  if (!model.fused || m === 0) return out;
  const o = model.layout.nMean;
  const mu = o ? thetas[0]![0]! : 0;
  const same = thetas.filter((th) => !o || th[0] === mu);
  for (let j = 0; j < same.length; j += 4) {
    const group = same.slice(j, j + 4);
    while (group.length < 4) group.push(group[0]!);
    const lls = fourLogLikelihoods(model, mu, group);
    for (let i = 0; i < 4 && j + i < same.length; i++) out[thetas.indexOf(same[j + i]!)] = lls[i]!;
  }
  return out;
}

/**
 * The exact Hessian of the log-likelihood at θ in one pass, for models the fused GARCH(1,1)
 * pass covers; also writes the gradient, and the outer product of the scores (k x k) if asked.
 * Returns the log-likelihood, or NaN when the model is
 * not fused or a variance leaves the soft bounds (the caller then differences gradients).
 */
export function evaluateHessian(
  model: Model,
  theta: Float64Array,
  grad: Float64Array,
  hess: Float64Array,
  opg: Float64Array | null = null,
): number {
  return model.fused ? garch11Normal(model, theta, grad, hess, opg) : Number.NaN;
}

/**
 * The log-likelihood and its gradient at θ in the fused pass without second derivatives (about
 * a third of `evaluateHessian`'s cost), for models the fused GARCH(1,1) pass covers. Leaves
 * model.e and model.h alone. Returns NaN when the model is not fused or a variance leaves the
 * soft bounds.
 */
export function evaluateGradient(model: Model, theta: Float64Array, grad: Float64Array): number {
  return model.fused ? garch11NormalGradient(model, theta, grad) : Number.NaN;
}

/**
 * Log-likelihood (full, with constants) at θ. Leaves the residuals and conditional variances in
 * model.e and model.h. With `grad`, writes dLL/dθ; with `scores` (nEff x k, row-major), the
 * per-observation gradients (and their sum in `grad`, if given). Returns NaN outside the shape
 * parameters' domain.
 *
 * Each loop over the sample is a function of its own, not nested in a loop over parameters, with
 * nothing after it: V8 compiles a long loop while it runs (on-stack replacement), and code after
 * it that has not run yet deoptimises that code when it gets there (see prime.ts and
 * recursions/general.ts). The passes read the model's layout, never its spec: specs come in
 * several shapes (nested models' among them), and a read on a shape the compiled pass had not
 * seen deoptimised it, in fits over and over.
 */
export function evaluate(
  model: Model,
  theta: Float64Array,
  grad: Float64Array | null = null,
  scores: Float64Array | null = null,
): number {
  if (model.fused && !grad && !scores) {
    // The fused pass gives the value alone (or with the Hessian, evaluateHessian); the gradient
    // alone and the scores come from the general pass. NaN: a variance left the soft bounds;
    // the general pass below applies them.
    const ll = garch11Normal(model, theta, null, null, null);
    if (!Number.isNaN(ll)) return ll;
  }
  const { n, layout, t0, e, h, lo, hi, scratch } = model;
  scratch.dv = grown(scratch.dv, n);
  residuals(model, theta);
  const wantGrad = grad !== null || scores !== null;
  const targeting = layout.omega < 0;
  const s2 = model.fcp || targeting ? meanSquare(model) : Number.NaN;
  const backcast = model.fcp ? s2 : model.fixedBackcast;
  const omega = targeting ? s2 * (1 - persistence(layout, theta)) : theta[layout.omega]!;
  if (wantGrad) varianceInputDerivatives(model, theta, s2);
  if (scores) return forwardPass(model, theta, omega, backcast, grad, scores);
  const p = layout.beta - layout.alpha;
  const q = layout.shape - layout.beta;
  garchRecursion(
    theta,
    omega,
    layout.alpha,
    p,
    layout.beta,
    q,
    e,
    t0,
    n,
    backcast,
    lo,
    hi,
    h,
    scratch.dv,
  );
  const kernel = model.dist.kernel(theta, layout.shape);
  if (!grad) return sumLogDensity(kernel, e, h, t0, n);
  return reversePass(model, theta, backcast, kernel, grad);
}

/**
 * The derivatives of the pre-sample value and of omega at θ (omega implied by the data under
 * variance targeting) into model.dBackcast and model.dOmega; `s2` is `meanSquare`'s value.
 */
function varianceInputDerivatives(model: Model, theta: Float64Array, s2: number): void {
  const { layout, dOmega, dBackcast } = model;
  const { k, nMean: m } = layout;
  const targeting = layout.omega < 0;
  // dBackcast holds d(s2)/dθ here; it becomes d(backcast)/dθ below.
  if (model.fcp || targeting) meanSquareGrad(model, dBackcast);
  if (targeting) {
    const slack = 1 - persistence(layout, theta);
    for (let kk = 0; kk < k; kk++) dOmega[kk] = kk < m ? slack * dBackcast[kk]! : 0;
    for (let kk = layout.alpha; kk < layout.shape; kk++) dOmega[kk] = -s2;
  } else {
    dOmega.fill(0);
    dOmega[layout.omega] = 1;
  }
  if (!model.fcp) dBackcast.fill(0);
}

/** Sum of the log-densities of e_t given h_t over the sample. */
function sumLogDensity(
  kernel: DensityKernel,
  e: Float64Array,
  h: Float64Array,
  t0: number,
  n: number,
): number {
  let ll = 0;
  for (let t = t0; t < n; t++) ll += kernel.logDensity(e[t]!, h[t]!, null);
  return ll;
}

/**
 * Sum of the log-densities with their derivatives: dl_t/de_t into `ge`, dl_t/dh_t into `lh`,
 * and the shape parameters' (at most two: skewt's nu and lambda) added to `grad`. (Written out,
 * not a loop over the shape parameters: V8 compiled that inner loop on its own, from inside it,
 * and deoptimised on leaving it, once per observation.)
 */
function sumLogDensityGrad(model: Model, kernel: DensityKernel, grad: Float64Array): number {
  const { layout, t0, n, e, h, dLog } = model;
  const { lh, ge } = model.scratch;
  const { nShape, shape } = layout;
  let ll = 0;
  for (let t = t0; t < n; t++) {
    ll += kernel.logDensity(e[t]!, h[t]!, dLog);
    ge[t] = dLog[0]!;
    lh[t] = dLog[1]!;
    if (nShape > 0) grad[shape] += dLog[2]!;
    if (nShape > 1) grad[shape + 1] += dLog[3]!;
  }
  return ll;
}

/** Adds to `grad` the mean parameters' sums of dLL/de_t de_t/dθ. */
function meanGradient(model: Model, grad: Float64Array): void {
  for (let kk = 0; kk < model.layout.nMean; kk++) grad[kk] += meanTerm(model, kk);
}

/** Sum of dLL/de_t de_t/dθ_kk for mean parameter kk. */
function meanTerm(model: Model, kk: number): number {
  const { r, t0, n } = model;
  const { ge } = model.scratch;
  let g = 0;
  for (let t = t0; t < n; t++) g += ge[t]! * meanDerivative(r, t, kk);
  return g;
}

/** The gradient by reverse accumulation (see `garchAdjoint`), after the forward recursion. */
function reversePass(
  model: Model,
  theta: Float64Array,
  backcast: number,
  kernel: DensityKernel,
  grad: Float64Array,
): number {
  const { layout, t0, n, e, h, dOmega, dBackcast, sums, scratch } = model;
  const { k } = layout;
  scratch.lh = grown(scratch.lh, n);
  scratch.mu = grown(scratch.mu, n);
  scratch.ge = grown(scratch.ge, n);
  grad.fill(0);
  const ll = sumLogDensityGrad(model, kernel, grad);
  const p = layout.beta - layout.alpha;
  const q = layout.shape - layout.beta;
  garchAdjoint(
    theta,
    layout.alpha,
    p,
    layout.beta,
    q,
    e,
    t0,
    n,
    backcast,
    h,
    scratch.dv,
    scratch.lh,
    scratch.mu,
    scratch.ge,
    grad,
    sums,
  );
  const dOmegaTotal = sums[0]!;
  const dBackcastTotal = sums[1]!;
  // omega and the backcast enter every h_t: chain their derivatives in θ.
  for (let kk = 0; kk < k; kk++) {
    grad[kk] += dOmegaTotal * dOmega[kk]! + dBackcastTotal * dBackcast[kk]!;
  }
  meanGradient(model, grad);
  return ll;
}

/** The forward pass: dh_t/dθ for every t, the per-observation scores and their sum. */
function forwardPass(
  model: Model,
  theta: Float64Array,
  omega: number,
  backcast: number,
  grad: Float64Array | null,
  scores: Float64Array,
): number {
  const { layout, t0, n, r, e, h, dOmega, dBackcast, lo, hi, scratch } = model;
  const { k, nMean: m } = layout;
  scratch.dh = grown(scratch.dh, n * k);
  scratch.lh = grown(scratch.lh, n);
  scratch.ge = grown(scratch.ge, n);
  const p = layout.beta - layout.alpha;
  const q = layout.shape - layout.beta;
  garchRecursionGrad(
    theta,
    omega,
    layout.alpha,
    p,
    layout.beta,
    q,
    e,
    t0,
    n,
    backcast,
    lo,
    hi,
    k,
    m,
    dOmega,
    dBackcast,
    r,
    h,
    scratch.dv,
    scratch.dh,
  );
  const kernel = model.dist.kernel(theta, layout.shape);
  const ll = logDensityScores(model, kernel, scores);
  if (grad) grad.fill(0);
  for (let kk = 0; kk < k; kk++) {
    const sum = scoreColumn(model, kk, scores);
    if (grad) grad[kk] += sum;
  }
  return ll;
}

/**
 * Sum of the log-densities; dl_t/de_t into `ge`, dl_t/dh_t into `lh`, and the shape
 * parameters' dl_t (at most two) into their columns of `scores` (nEff x k).
 */
function logDensityScores(model: Model, kernel: DensityKernel, scores: Float64Array): number {
  const { layout, t0, n, e, h, dLog } = model;
  const { lh, ge } = model.scratch;
  const { k, nShape, shape } = layout;
  let ll = 0;
  for (let t = t0; t < n; t++) {
    ll += kernel.logDensity(e[t]!, h[t]!, dLog);
    ge[t] = dLog[0]!;
    lh[t] = dLog[1]!;
    const at = (t - t0) * k + shape;
    if (nShape > 0) scores[at] = dLog[2]!;
    if (nShape > 1) scores[at + 1] = dLog[3]!;
  }
  return ll;
}

/**
 * Column kk of the scores, dl_t/dh_t dh_t/dθ_kk plus dl_t/de_t de_t/dθ_kk (mean) or dl_t/dθ_kk
 * (shape, left in the column by `logDensityScores`); returns its sum. (One column at a time: a
 * loop over the parameters inside the loop over t was compiled on its own by V8, from inside it,
 * and deoptimised on leaving it, once per observation.)
 */
function scoreColumn(model: Model, kk: number, scores: Float64Array): number {
  const { layout, t0, n, r } = model;
  const { dh, lh, ge } = model.scratch;
  const { k, nMean: m, shape } = layout;
  let sum = 0;
  if (kk < m) {
    for (let t = t0; t < n; t++) {
      const g = lh[t]! * dh[t * k + kk]! + ge[t]! * meanDerivative(r, t, kk);
      scores[(t - t0) * k + kk] = g;
      sum += g;
    }
  } else if (kk < shape) {
    for (let t = t0; t < n; t++) {
      const g = lh[t]! * dh[t * k + kk]!;
      scores[(t - t0) * k + kk] = g;
      sum += g;
    }
  } else {
    for (let t = t0; t < n; t++) {
      const at = (t - t0) * k + kk;
      const g = lh[t]! * dh[t * k + kk]! + scores[at]!;
      scores[at] = g;
      sum += g;
    }
  }
  return sum;
}

/**
 * Log-likelihood of `returns` under `spec` at fixed parameters (full, with constants), on the
 * same conventions as `fit`. Under variance targeting `params.omega` is ignored (implied by the
 * data). Returns NaN where the parameters leave the distribution's domain.
 * @throws GarchInputError for a bad series or missing/non-finite parameters.
 */
export function logLikelihood(
  returns: ArrayLike<number>,
  spec: GarchSpec,
  params: GarchParams,
): number {
  const checked = checkSpec(spec);
  const model = buildModel(checkSeries(returns, checked), checked);
  return evaluate(model, fromParams(checked, params));
}
