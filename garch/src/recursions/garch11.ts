/**
 * The fused GARCH(1,1)-Normal kernels, beside the general recursions (general.ts): the model
 * most fits are of, computed in one pass with the gradient, the exact Hessian and the outer
 * product of the scores (`garch11Normal`), or four likelihoods side by side for grid starts
 * (`fourLogLikelihoods`).
 * The recurrences are hand-unrolled (one local per derivative, no arrays in the loops): that is
 * the speed of the common fit.
 */
import type { Layout } from "../params.js";

/**
 * What the fused kernels read and write: a bound model (likelihood.ts's `Model` has these
 * fields). `e` and `h` receive the residuals and variances of the pass. (Its layout and `fcp`,
 * not its spec: specs come in several shapes, and a read on a shape not seen before
 * deoptimises the kernel.)
 */
export interface Garch11Input {
  /** nMean: 1 with a constant mean, 0 with a zero mean. */
  readonly layout: Layout;
  /** Init fcp: the pre-sample value is the residuals' mean square at θ. */
  readonly fcp: boolean;
  readonly r: Float64Array;
  readonly n: number;
  readonly e: Float64Array;
  readonly h: Float64Array;
  readonly lo: number;
  readonly hi: number;
  /** Sample mean and variance of the returns (the fcp backcast: variance + (mean - mu)^2). */
  readonly mean: number;
  readonly variance: number;
  /** Pre-sample value for ewma and fixed inits. */
  readonly fixedBackcast: number;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const PRODUCT_MAX = 1e100;
const PRODUCT_MIN = 1e-100;
/** Variance bounds within which a running product of variances cannot overflow or underflow. */
export const FUSED_BOUNDS: readonly [number, number] = [1e-200, 1e200];

/** θ's GARCH(1,1) coefficients, and the pre-sample value with its derivatives in mu. */
interface Coefficients {
  readonly hasMu: boolean;
  /** Index of omega in θ (1 with a constant mean, 0 with a zero mean). */
  readonly o: number;
  readonly mu: number;
  readonly omega: number;
  readonly alpha: number;
  readonly beta: number;
  readonly back: number;
  /** First and second derivatives of the backcast in mu (non-zero under fcp with a mean). */
  readonly dBackMu: number;
  readonly d2BackMu: number;
}

function coefficients(model: Garch11Input, theta: Float64Array): Coefficients {
  const hasMu = model.layout.nMean === 1;
  const o = hasMu ? 1 : 0;
  const mu = hasMu ? theta[0]! : 0;
  const fcp = model.fcp;
  return {
    hasMu,
    o,
    mu,
    omega: theta[o]!,
    alpha: theta[o + 1]!,
    beta: theta[o + 2]!,
    back: fcp ? model.variance + (model.mean - mu) ** 2 : model.fixedBackcast,
    dBackMu: fcp && hasMu ? -2 * (model.mean - mu) : 0,
    d2BackMu: fcp && hasMu ? 2 : 0,
  };
}

/**
 * GARCH(1,1) with Normal innovations and a zero or constant mean in one fused pass: the same
 * quantities as the general path (which the tests hold it to), at a fraction of the cost, since
 * this is the model most fits are of. The fcp pre-sample value B needs no extra pass:
 * mean((r - mu)^2) = variance + (mean - mu)^2. Returns NaN if a variance leaves the soft
 * bounds, so the caller can fall back to the general path.
 *
 * Two modes, the ones Newton's method uses: the log-likelihood alone (`grad` and `hess` null),
 * or with the gradient, the exact Hessian and, if `opg` is given, the outer product of the
 * scores. (The gradient alone is `garch11NormalGradient`'s, a third of this pass's cost; the
 * per-observation scores come from the general pass: the code of modes a fit does not use
 * would only weigh on the optimised loop; see prime.ts.)
 *
 * The Hessian of the log-likelihood (k x k, row-major): with
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
export function garch11Normal(
  model: Garch11Input,
  theta: Float64Array,
  grad: Float64Array | null,
  hess: Float64Array | null,
  opg: Float64Array | null,
): number {
  const { r, n, e, h, lo, hi } = model;
  const { hasMu, o, mu, omega, alpha, beta, back, dBackMu, d2BackMu } = coefficients(model, theta);
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
  // The lower triangle of s s' in the order (mu, omega, alpha, beta) x itself, in locals (a
  // typed array here cost a load and a store per entry and observation); with a zero mean sMu
  // is 0 and its entries are dropped below.
  const wantOpg = opg !== null;
  let o0 = 0;
  let o1 = 0;
  let o2 = 0;
  let o3 = 0;
  let o4 = 0;
  let o5 = 0;
  let o6 = 0;
  let o7 = 0;
  let o8 = 0;
  let o9 = 0;
  const wantGrad = grad !== null;
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
      // Second derivatives from the first derivatives at t-1, before those move on.
      sMuMu = alpha * d2PrevE2Mu + beta * sMuMu;
      sMuAl = dPrevE2Mu + beta * sMuAl;
      sMuBe = dMu + beta * sMuBe;
      sOmBe = dOm + beta * sOmBe;
      sAlBe = dAl + beta * sAlBe;
      sBeBe = 2 * dBe + beta * sBeBe;
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
      if (wantOpg) {
        o0 += sMu * sMu;
        o1 += sOm * sMu;
        o2 += sOm * sOm;
        o3 += sAl * sMu;
        o4 += sAl * sOm;
        o5 += sAl * sAl;
        o6 += sBe * sMu;
        o7 += sBe * sOm;
        o8 += sBe * sAl;
        o9 += sBe * sBe;
      }
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
  if (opg) {
    const outer = [o0, o1, o2, o3, o4, o5, o6, o7, o8, o9];
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
 * The log-likelihood and its gradient alone, in one fused pass: `garch11Normal`'s value and
 * gradient (the tests hold them to it) without the second derivatives, at about a third of the
 * cost of the pass with the Hessian. It leaves model.e and model.h alone (the steps that take
 * it end at a pass that writes them). Newton's quasi-Newton steps take it (optimize/newton.ts).
 * The loop repeats the first half of `garch11Normal`'s on purpose (a deliberate unroll: a mode
 * flag in that loop would weigh on both, and this is the hot loop of those steps), with two
 * products fewer per observation by exact scalings by 2.
 */
export function garch11NormalGradient(
  model: Garch11Input,
  theta: Float64Array,
  grad: Float64Array,
): number {
  const { r, n, lo, hi } = model;
  const { hasMu, o, mu, omega, alpha, beta, back, dBackMu } = coefficients(model, theta);
  let prevE2 = back;
  let prevH = back;
  let dMu = dBackMu;
  let dOm = 0;
  let dAl = 0;
  let dBe = 0;
  // alpha times the derivative of e_{t-1}^2 in mu is -2 alpha e_{t-1} (before the sample, the
  // backcast's: -2 alpha (mean - mu)); scaling by 2 is exact, so this is the same product.
  const m2Alpha = -2 * alpha;
  let prevE = -0.5 * dBackMu;
  let product = 1;
  let sumLogH = 0;
  let sumE2H = 0;
  let gMu = 0;
  let gOm = 0;
  let gAl = 0;
  let gBe = 0;
  for (let t = 0; t < n; t++) {
    const ht = omega + alpha * prevE2 + beta * prevH;
    if (!(ht >= lo && ht <= hi)) return Number.NaN;
    const et = r[t]! - mu;
    const e2 = et * et;
    const inv = 1 / ht;
    product *= ht;
    if (product > PRODUCT_MAX || product < PRODUCT_MIN) {
      sumLogH += Math.log(product);
      product = 1;
    }
    const z = e2 * inv;
    sumE2H += z;
    dMu = m2Alpha * prevE + beta * dMu;
    dOm = 1 + beta * dOm;
    dAl = prevE2 + beta * dAl;
    dBe = prevH + beta * dBe;
    // Twice dl_t/dh_t, and twice the sums: halved once after the loop (exact, as above).
    const lh2 = (z - 1) * inv;
    const ei = et * inv;
    gMu += ei + ei + lh2 * dMu;
    gOm += lh2 * dOm;
    gAl += lh2 * dAl;
    gBe += lh2 * dBe;
    prevE = et;
    prevE2 = e2;
    prevH = ht;
  }
  if (hasMu) grad[0] = 0.5 * gMu;
  grad[o] = 0.5 * gOm;
  grad[o + 1] = 0.5 * gAl;
  grad[o + 2] = 0.5 * gBe;
  sumLogH += Math.log(product);
  return -n * HALF_LOG_2PI - 0.5 * (sumLogH + sumE2H);
}

/**
 * Four log-likelihoods with mean mu in one fused pass (likelihood.ts's `logLikelihoods` groups
 * grid starts by four): the four recursions are independent and run side by side. NaN for all
 * four when a variance leaves the soft bounds. Leaves model.e and model.h alone.
 */
export function fourLogLikelihoods(
  model: Garch11Input,
  mu: number,
  th: readonly Float64Array[],
): number[] {
  const { r, n, lo, hi } = model;
  const o = model.layout.nMean;
  const back = model.fcp ? model.variance + (model.mean - mu) ** 2 : model.fixedBackcast;
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
