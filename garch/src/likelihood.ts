/**
 * The composed model's log-likelihood, in arch's three steps: residuals from the mean model,
 * conditional variances from the volatility recursion, log-densities from the distribution.
 * One pass gives the total, the analytic gradient and (optionally) the per-observation scores
 * that the OPG and sandwich covariances need.
 *
 * An AR(k) mean makes the likelihood conditional on the first k observations: the sum runs over
 * t = k..n-1 (N = n - k terms), and "the sample" below means those N residuals.
 */
import { type Distribution, distribution } from "./distributions.js";
import { fromParams, type Layout, layoutOf } from "./params.js";
import { ewmaBackcast, garchRecursion, garchRecursionGrad, varianceBounds } from "./recursions.js";
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
  /** dh_t / dθ (n x k) for the general pass; allocated on first use (fused models rarely need it). */
  dh: Float64Array;
  readonly dOmega: Float64Array;
  readonly dBackcast: Float64Array;
  readonly dLog: Float64Array;
}

/** Binds a checked spec to a checked series (see `checkSeries`). */
export function buildModel(r: Float64Array, spec: GarchSpec): Model {
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
    e: new Float64Array(n),
    h: new Float64Array(n),
    dh: new Float64Array(0),
    dOmega: new Float64Array(layout.k),
    dBackcast: new Float64Array(layout.k),
    dLog: new Float64Array(2 + layout.nShape),
  };
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

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const PRODUCT_MAX = 1e100;
const PRODUCT_MIN = 1e-100;
/** Variance bounds within which a running product of variances cannot overflow or underflow. */
const FUSED_BOUNDS: readonly [number, number] = [1e-200, 1e200];

/**
 * GARCH(1,1) with Normal innovations and a zero or constant mean in one fused pass: the same
 * quantities as the general path (which the tests hold it to), at a fraction of the cost, since
 * this is the model most fits are of. The fcp pre-sample value B needs no extra pass:
 * mean((r - mu)^2) = variance + (mean - mu)^2. Returns NaN if a variance leaves the soft
 * bounds, so the caller can fall back to the general path.
 *
 * With `hess` it also writes the exact Hessian of the log-likelihood (k x k, row-major). With
 * D_i = dh_t/dθ_i and S_ij = d²h_t/dθ_i dθ_j, each term l_t = -(log h_t + e_t²/h_t)/2 has
 *
 *   d²l_t/dθ_i dθ_j = a S_ij + c D_i D_j - w ([i=mu] D_j + [j=mu] D_i) - [i=j=mu] / h_t,
 *   a = (e² - h) / (2h²),  c = (h - 2e²) / (2h³),  w = e / h²,
 *
 * and, differentiating h_t = omega + alpha E_{t-1} + beta h_{t-1} (E = e², or B before the
 * sample) twice, the only non-zero S are
 *   S_mu,mu = alpha E''_{t-1} + beta S_mu,mu    S_mu,alpha = E'_{t-1} + beta S_mu,alpha
 *   S_mu,beta = D_mu + beta S_mu,beta          S_omega,beta = D_omega + beta S_omega,beta
 *   S_alpha,beta = D_alpha + beta S_alpha,beta  S_beta,beta = 2 D_beta + beta S_beta,beta
 * (right-hand sides at t-1; E' and E'' are derivatives in mu: -2e and 2, or B' and B'' before
 * the sample; S_mu,mu starts at B'').
 */
function fusedGarch11Normal(
  model: Model,
  theta: Float64Array,
  grad: Float64Array | null,
  scores: Float64Array | null,
  hess: Float64Array | null = null,
  opg: Float64Array | null = null,
): number {
  const { r, n, e, h, lo, hi, spec } = model;
  const hasMu = spec.mean.kind === "constant";
  const o = hasMu ? 1 : 0;
  const mu = hasMu ? theta[0]! : 0;
  const omega = theta[o]!;
  const alpha = theta[o + 1]!;
  const beta = theta[o + 2]!;
  const fcp = spec.init.kind === "fcp";
  const back = fcp ? model.variance + (model.mean - mu) ** 2 : model.fixedBackcast;
  // First and second derivatives of the backcast in mu under fcp.
  const dBackMu = fcp && hasMu ? -2 * (model.mean - mu) : 0;
  const d2BackMu = fcp && hasMu ? 2 : 0;
  const k = o + 3;
  let prevE2 = back;
  let prevH = back;
  let dMu = dBackMu;
  let dOm = 0;
  let dAl = 0;
  let dBe = 0;
  // The pre-sample e^2 carries the backcast's derivatives in mu too.
  let dPrevE2Mu = dBackMu;
  let d2PrevE2Mu = d2BackMu;
  let sMuMu = d2BackMu;
  let sMuAl = 0;
  let sMuBe = 0;
  let sOmBe = 0;
  let sAlBe = 0;
  let sBeBe = 0;
  let hMuMu = 0;
  let hMuOm = 0;
  let hMuAl = 0;
  let hMuBe = 0;
  let hOmOm = 0;
  let hOmAl = 0;
  let hOmBe = 0;
  let hAlAl = 0;
  let hAlBe = 0;
  let hBeBe = 0;
  // Σ log h_t as logs of running products: one Math.log per few hundred terms instead of one
  // per observation (the log is most of the cost of a pass). Every factor lies within the soft
  // bounds [lo, hi] (see buildModel), so renormalising whenever the product leaves
  // [PRODUCT_MIN, PRODUCT_MAX] keeps it finite and normal; the rounding error is ~1e-16 per log.
  let product = 1;
  let sumLogH = 0;
  let sumE2H = 0;
  let gMu = 0;
  let gOm = 0;
  let gAl = 0;
  let gBe = 0;
  const wantHess = hess !== null;
  const outer = opg ? new Float64Array(10) : null;
  const wantGrad = grad !== null || scores !== null || wantHess || outer !== null;
  for (let t = 0; t < n; t++) {
    const ht = omega + alpha * prevE2 + beta * prevH;
    if (!(ht >= lo && ht <= hi)) return Number.NaN;
    const et = r[t]! - mu;
    const e2 = et * et;
    const inv = 1 / ht;
    e[t] = et;
    h[t] = ht;
    product *= ht;
    if (product > PRODUCT_MAX || product < PRODUCT_MIN) {
      sumLogH += Math.log(product);
      product = 1;
    }
    const z = e2 * inv;
    sumE2H += z;
    if (wantGrad) {
      if (wantHess) {
        // Second derivatives from the first derivatives at t-1, before those move on.
        sMuMu = alpha * d2PrevE2Mu + beta * sMuMu;
        sMuAl = dPrevE2Mu + beta * sMuAl;
        sMuBe = dMu + beta * sMuBe;
        sOmBe = dOm + beta * sOmBe;
        sAlBe = dAl + beta * sAlBe;
        sBeBe = 2 * dBe + beta * sBeBe;
      }
      dMu = alpha * dPrevE2Mu + beta * dMu;
      dOm = 1 + beta * dOm;
      dAl = prevE2 + beta * dAl;
      dBe = prevH + beta * dBe;
      const lh = 0.5 * (z - 1) * inv;
      const sMu = et * inv + lh * dMu;
      const sOm = lh * dOm;
      const sAl = lh * dAl;
      const sBe = lh * dBe;
      gMu += sMu;
      gOm += sOm;
      gAl += sAl;
      gBe += sBe;
      if (scores) {
        const row = t * k;
        if (hasMu) scores[row] = sMu;
        scores[row + o] = sOm;
        scores[row + o + 1] = sAl;
        scores[row + o + 2] = sBe;
      }
      if (outer) {
        // The lower triangle of s s' in the order (mu, omega, alpha, beta) x itself; with a
        // zero mean sMu is 0 and its entries are dropped below.
        outer[0] += sMu * sMu;
        outer[1] += sOm * sMu;
        outer[2] += sOm * sOm;
        outer[3] += sAl * sMu;
        outer[4] += sAl * sOm;
        outer[5] += sAl * sAl;
        outer[6] += sBe * sMu;
        outer[7] += sBe * sOm;
        outer[8] += sBe * sAl;
        outer[9] += sBe * sBe;
      }
      if (wantHess) {
        const inv2 = inv * inv;
        const c = (0.5 - z) * inv2;
        const w = et * inv2;
        // c D_mu - w, c D_omega, c D_alpha: the rows of c D D' and the w terms, shared.
        const cMu = c * dMu - w;
        const cOm = c * dOm;
        const cAl = c * dAl;
        hMuMu += lh * sMuMu + (cMu - w) * dMu - inv;
        hMuOm += cMu * dOm;
        hMuAl += lh * sMuAl + cMu * dAl;
        hMuBe += lh * sMuBe + cMu * dBe;
        hOmOm += cOm * dOm;
        hOmAl += cOm * dAl;
        hOmBe += lh * sOmBe + cOm * dBe;
        hAlAl += cAl * dAl;
        hAlBe += lh * sAlBe + cAl * dBe;
        hBeBe += lh * sBeBe + c * dBe * dBe;
        d2PrevE2Mu = 2;
      }
      dPrevE2Mu = -2 * et;
    }
    prevE2 = e2;
    prevH = ht;
  }
  if (grad) {
    if (hasMu) grad[0] = gMu;
    grad[o] = gOm;
    grad[o + 1] = gAl;
    grad[o + 2] = gBe;
  }
  if (hess) {
    const vol = [
      [hOmOm, hOmAl, hOmBe],
      [hOmAl, hAlAl, hAlBe],
      [hOmBe, hAlBe, hBeBe],
    ];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) hess[(o + i) * k + o + j] = vol[i]![j]!;
    if (hasMu) {
      const cross = [hMuOm, hMuAl, hMuBe];
      hess[0] = hMuMu;
      for (let j = 0; j < 3; j++) {
        hess[o + j] = cross[j]!;
        hess[(o + j) * k] = cross[j]!;
      }
    }
  }
  if (opg && outer) {
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j <= i; j++) {
        if (i < 1 - o || j < 1 - o) continue;
        const v = outer[(i * (i + 1)) / 2 + j]!;
        opg[(i - 1 + o) * k + j - 1 + o] = v;
        opg[(j - 1 + o) * k + i - 1 + o] = v;
      }
    }
  }
  sumLogH += Math.log(product);
  return -n * HALF_LOG_2PI - 0.5 * (sumLogH + sumE2H);
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

/** Four log-likelihoods with mean mu in one fused pass (see `logLikelihoods`). */
function fourLogLikelihoods(model: Model, mu: number, th: readonly Float64Array[]): number[] {
  const { r, n, lo, hi, spec } = model;
  const o = spec.mean.kind === "constant" ? 1 : 0;
  const back =
    spec.init.kind === "fcp" ? model.variance + (model.mean - mu) ** 2 : model.fixedBackcast;
  const [a, b, c, d] = th as [Float64Array, Float64Array, Float64Array, Float64Array];
  const wa = a[o]!;
  const aa = a[o + 1]!;
  const ba = a[o + 2]!;
  const wb = b[o]!;
  const ab = b[o + 1]!;
  const bb = b[o + 2]!;
  const wc = c[o]!;
  const ac = c[o + 1]!;
  const bc = c[o + 2]!;
  const wd = d[o]!;
  const ad = d[o + 1]!;
  const bd = d[o + 2]!;
  let prevE2 = back;
  let ha = back;
  let hb = back;
  let hc = back;
  let hd = back;
  let pa = 1;
  let pb = 1;
  let pc = 1;
  let pd = 1;
  let la = 0;
  let lb = 0;
  let lc = 0;
  let ld = 0;
  let sa = 0;
  let sb = 0;
  let sc = 0;
  let sd = 0;
  let inBounds = true;
  for (let t = 0; t < n; t++) {
    ha = wa + aa * prevE2 + ba * ha;
    hb = wb + ab * prevE2 + bb * hb;
    hc = wc + ac * prevE2 + bc * hc;
    hd = wd + ad * prevE2 + bd * hd;
    const et = r[t]! - mu;
    const e2 = et * et;
    sa += e2 / ha;
    sb += e2 / hb;
    sc += e2 / hc;
    sd += e2 / hd;
    pa *= ha;
    pb *= hb;
    pc *= hc;
    pd *= hd;
    if (
      pa > PRODUCT_MAX ||
      pa < PRODUCT_MIN ||
      pb > PRODUCT_MAX ||
      pb < PRODUCT_MIN ||
      pc > PRODUCT_MAX ||
      pc < PRODUCT_MIN ||
      pd > PRODUCT_MAX ||
      pd < PRODUCT_MIN
    ) {
      la += Math.log(pa);
      lb += Math.log(pb);
      lc += Math.log(pc);
      ld += Math.log(pd);
      pa = 1;
      pb = 1;
      pc = 1;
      pd = 1;
    }
    if (
      !(
        ha >= lo &&
        ha <= hi &&
        hb >= lo &&
        hb <= hi &&
        hc >= lo &&
        hc <= hi &&
        hd >= lo &&
        hd <= hi
      )
    )
      inBounds = false;
    prevE2 = e2;
  }
  const c0 = -n * HALF_LOG_2PI;
  if (!inBounds) return [Number.NaN, Number.NaN, Number.NaN, Number.NaN];
  return [
    c0 - 0.5 * (la + Math.log(pa) + sa),
    c0 - 0.5 * (lb + Math.log(pb) + sb),
    c0 - 0.5 * (lc + Math.log(pc) + sc),
    c0 - 0.5 * (ld + Math.log(pd) + sd),
  ];
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
  return model.fused ? fusedGarch11Normal(model, theta, grad, null, hess, opg) : Number.NaN;
}

/**
 * Log-likelihood (full, with constants) at θ. Leaves the residuals and conditional variances in
 * model.e and model.h. With `grad`, writes dLL/dθ; with `scores` (nEff x k, row-major), the
 * per-observation gradients. Returns NaN outside the shape parameters' domain.
 */
export function evaluate(
  model: Model,
  theta: Float64Array,
  grad: Float64Array | null = null,
  scores: Float64Array | null = null,
): number {
  const { layout, spec, t0, n, e, h, dOmega, dBackcast, dLog, lo, hi } = model;
  const { k, nMean: m } = layout;
  const wantGrad = grad !== null || scores !== null;
  if (wantGrad && model.dh.length === 0) {
    model.dh = new Float64Array(n * k);
    model.de = meanDerivatives(model);
  }
  const dh = model.dh;
  if (model.fused) {
    const ll = fusedGarch11Normal(model, theta, grad, scores);
    // NaN: a variance left the soft bounds; the general pass below applies them.
    if (!Number.isNaN(ll)) return ll;
  }
  residuals(model, theta);
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

  const { p, q } = spec;
  if (wantGrad) {
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
      model.de,
      h,
      dh,
    );
  } else {
    garchRecursion(theta, omega, layout.alpha, p, layout.beta, q, e, t0, n, backcast, lo, hi, h);
  }

  const kernel = model.dist.kernel(theta, layout.shape);
  if (!wantGrad) {
    let ll = 0;
    for (let t = t0; t < n; t++) ll += kernel.logDensity(e[t]!, h[t]!, null);
    return ll;
  }
  if (grad) grad.fill(0);
  const de = model.de;
  const { shape } = layout;
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
      if (scores) scores[srow + kk] = g;
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
