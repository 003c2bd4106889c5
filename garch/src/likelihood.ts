/**
 * (Over 450 lines on purpose: a dense numeric kernel whose per-distribution loops are written out
 * so the hot loop makes no calls and takes no branches; splitting them apart would not shorten it.)
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
  readonly lo: number;
  readonly hi: number;
  /**
   * de_t / dθ_k for the mean parameters (n x nMean): constant in θ for these means. Like `dh`,
   * allocated by the general pass on first use.
   */
  de: Float64Array;
  /** Residuals e_t of the last evaluation (t >= t0). */
  readonly e: Float64Array;
  /** Conditional variances h_t of the last evaluation (t >= t0). */
  readonly h: Float64Array;
  /**
   * dh_t / dθ (n x k) for the per-observation scores of the general pass; allocated on first use
   * (fused models rarely need it), as are the per-observation arrays below.
   */
  dh: Float64Array;
  /** Slope of the soft variance bounds dh_t/dv_t (see `garchRecursion`). */
  dv: Float64Array;
  /** dl_t/dh_t, then (in place) the reverse pass's sensitivities (see `garchAdjoint`). */
  lh: Float64Array;
  mu: Float64Array;
  /** dLL/de_t (see `garchAdjoint`). */
  ge: Float64Array;
  /** Per-observation scores (nEff x k) for the outer product (optimize/hessian.ts). */
  scores: Float64Array;
  readonly dOmega: Float64Array;
  readonly dBackcast: Float64Array;
  readonly dLog: Float64Array;
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
    lo,
    hi,
    de: new Float64Array(0),
    e: workspace ? workspace.e.subarray(0, n) : new Float64Array(n),
    h: workspace ? workspace.h.subarray(0, n) : new Float64Array(n),
    dh: new Float64Array(0),
    dv: new Float64Array(0),
    lh: new Float64Array(0),
    mu: new Float64Array(0),
    ge: new Float64Array(0),
    scores: new Float64Array(0),
    dOmega: new Float64Array(layout.k),
    dBackcast: new Float64Array(layout.k),
    dLog: new Float64Array(2 + layout.nShape),
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

/** de_t / dθ for the mean parameters (n x nMean): -1 for mu, -r_{t-i} for the AR terms. */
function meanDerivatives(model: Model): Float64Array {
  const { r, n, t0 } = model;
  const m = model.layout.nMean;
  const de = new Float64Array(n * m);
  for (let t = t0; t < n; t++) {
    if (m > 0) de[t * m] = -1;
    for (let i = 1; i < m; i++) de[t * m + i] = -r[t - i]!;
  }
  return de;
}

/** Writes the residuals e_t = r_t - mu - sum phi_i r_{t-i} (t >= t0) into model.e. */
function residuals(model: Model, theta: Float64Array): void {
  const { r, n, t0, e, spec } = model;
  if (spec.mean.kind === "zero") {
    e.set(r);
    return;
  }
  const mu = theta[0]!;
  const lags = model.layout.nMean - 1;
  for (let t = t0; t < n; t++) {
    let v = r[t]! - mu;
    for (let i = 1; i <= lags; i++) v -= theta[i]! * r[t - i]!;
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
 * the "sample variance of the residuals" that variance targeting scales. When `ds2` is given,
 * writes its derivatives with respect to the mean parameters.
 */
function meanSquare(model: Model, ds2: Float64Array | null): number {
  const { e, t0, n, nEff, de } = model;
  const m = model.layout.nMean;
  let s2 = 0;
  for (let t = t0; t < n; t++) s2 += e[t]! * e[t]!;
  if (ds2) {
    ds2.fill(0);
    for (let t = t0; t < n; t++) {
      const et = e[t]!;
      for (let k = 0; k < m; k++) ds2[k] += (2 * et * de[t * m + k]!) / nEff;
    }
  }
  return s2 / nEff;
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
  const o = model.spec.mean.kind === "constant" ? 1 : 0;
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
  const { n } = model;
  if (model.dv.length === 0) {
    model.dv = new Float64Array(n);
    model.de = meanDerivatives(model);
  }
  residuals(model, theta);
  const wantGrad = grad !== null || scores !== null;
  const { backcast, omega } = varianceInputs(model, theta, wantGrad);
  if (scores) return forwardPass(model, theta, omega, backcast, grad, scores);
  const { layout, spec, t0, e, h, lo, hi } = model;
  garchRecursion(
    theta,
    omega,
    layout.alpha,
    spec.p,
    layout.beta,
    spec.q,
    e,
    t0,
    n,
    backcast,
    lo,
    hi,
    h,
    model.dv,
  );
  const kernel = model.dist.kernel(theta, layout.shape);
  if (!grad) {
    let ll = 0;
    for (let t = t0; t < n; t++) ll += kernel.logDensity(e[t]!, h[t]!, null);
    return ll;
  }
  return reversePass(model, theta, backcast, kernel, grad);
}

/**
 * The pre-sample value and omega at θ (omega implied by the data under variance targeting);
 * with `wantGrad`, their derivatives in model.dBackcast and model.dOmega.
 */
function varianceInputs(
  model: Model,
  theta: Float64Array,
  wantGrad: boolean,
): { backcast: number; omega: number } {
  const { layout, spec, dOmega, dBackcast } = model;
  const { k, nMean: m } = layout;
  const needS2 = spec.init.kind === "fcp" || spec.varianceTargeting;
  const s2 = needS2 ? meanSquare(model, wantGrad ? dBackcast : null) : Number.NaN;
  // dBackcast holds d(s2)/dθ here; it becomes d(backcast)/dθ below.
  const backcast = spec.init.kind === "fcp" ? s2 : model.fixedBackcast;
  let omega: number;
  if (spec.varianceTargeting) {
    const slack = 1 - persistence(layout, theta);
    omega = s2 * slack;
    if (wantGrad) {
      for (let kk = 0; kk < k; kk++) dOmega[kk] = kk < m ? slack * dBackcast[kk]! : 0;
      for (let kk = layout.alpha; kk < layout.shape; kk++) dOmega[kk] = -s2;
    }
  } else {
    omega = theta[layout.omega]!;
    if (wantGrad) {
      dOmega.fill(0);
      dOmega[layout.omega] = 1;
    }
  }
  if (wantGrad && spec.init.kind !== "fcp") dBackcast.fill(0);
  return { backcast, omega };
}

/** The gradient by reverse accumulation (see `garchAdjoint`), after the forward recursion. */
function reversePass(
  model: Model,
  theta: Float64Array,
  backcast: number,
  kernel: DensityKernel,
  grad: Float64Array,
): number {
  const { layout, spec, t0, n, e, h, dLog, dOmega, dBackcast, de } = model;
  const { k, nMean: m, shape } = layout;
  if (model.lh.length === 0) {
    model.lh = new Float64Array(n);
    model.mu = new Float64Array(n);
    model.ge = new Float64Array(n);
  }
  const { lh, ge } = model;
  grad.fill(0);
  let ll = 0;
  for (let t = t0; t < n; t++) {
    ll += kernel.logDensity(e[t]!, h[t]!, dLog);
    ge[t] = dLog[0]!;
    lh[t] = dLog[1]!;
    for (let s = shape; s < k; s++) grad[s] += dLog[2 + s - shape]!;
  }
  const sums = new Float64Array(2);
  garchAdjoint(
    theta,
    layout.alpha,
    spec.p,
    layout.beta,
    spec.q,
    e,
    t0,
    n,
    backcast,
    h,
    model.dv,
    lh,
    model.mu,
    ge,
    grad,
    sums,
  );
  const dOmegaTotal = sums[0]!;
  const dBackcastTotal = sums[1]!;
  // omega and the backcast enter every h_t: chain their derivatives in θ.
  for (let kk = 0; kk < k; kk++) {
    grad[kk] += dOmegaTotal * dOmega[kk]! + dBackcastTotal * dBackcast[kk]!;
  }
  for (let kk = 0; kk < m; kk++) {
    let g = 0;
    for (let t = t0; t < n; t++) g += ge[t]! * de[t * m + kk]!;
    grad[kk] += g;
  }
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
  const { layout, spec, t0, n, e, h, dOmega, dBackcast, dLog, lo, hi, de } = model;
  const { k, nMean: m, shape } = layout;
  if (model.dh.length === 0) model.dh = new Float64Array(n * k);
  const dh = model.dh;
  garchRecursionGrad(
    theta,
    omega,
    layout.alpha,
    spec.p,
    layout.beta,
    spec.q,
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
    de,
    h,
    dh,
  );
  const kernel = model.dist.kernel(theta, layout.shape);
  if (grad) grad.fill(0);
  let ll = 0;
  for (let t = t0; t < n; t++) {
    ll += kernel.logDensity(e[t]!, h[t]!, dLog);
    const le = dLog[0]!;
    const lh = dLog[1]!;
    const row = t * k;
    const srow = (t - t0) * k;
    for (let kk = 0; kk < k; kk++) {
      let g = lh * dh[row + kk]!;
      if (kk < m) g += le * de[t * m + kk]!;
      else if (kk >= shape) g += dLog[2 + kk - shape]!;
      if (grad) grad[kk] += g;
      scores[srow + kk] = g;
    }
  }
  return ll;
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
