/**
 * Pure variance-recursion kernels on primitives and preallocated Float64Arrays (no allocation
 * inside the loops):
 *
 *   h_t = omega + sum_{i=1..p} alpha_i e^2_{t-i} + sum_{j=1..q} beta_j h_{t-j},   t = t0..n-1,
 *
 * where every e^2_s and h_s with s < t0 is the pre-sample value `backcast`. alpha_i is
 * theta[aOff + i - 1] and beta_j is theta[bOff + j - 1]. Arrays are indexed by absolute time
 * 0..n-1; entries before t0 are neither read nor written.
 *
 * The variance is soft-bounded as arch does it, so an optimiser never sees 0, Infinity or NaN:
 * below `lo` it is floored at `lo` (zero derivative), above `hi` it grows only logarithmically,
 * hi + log(h / hi).
 *
 * The loops over t are written for V8 (Node 24), which otherwise deoptimised them or allocated
 * per observation, as measured in fits: no calls but on rare branches (a call it does not inline
 * passes its doubles boxed); short inner loops without branches (it makes slow code of those:
 * GARCH(3,3)'s recursion ran 3x slower); no loop over t nested in a short loop, nor code after
 * one that has not run yet (V8 compiles a long loop while it runs, from inside it: such code
 * deoptimises the compiled loop when it gets there, and an inner loop compiled alone did so on
 * every exit), hence the one-loop functions. Every sum keeps the order of its terms: results are
 * those of the plain per-t recursion (`varianceStep`), to the bit.
 */

/** Floor and soft ceiling of the conditional variance, relative to a series' variance. */
export function varianceBounds(variance: number): [number, number] {
  return [variance * 1e-10, variance * 1e8];
}

/**
 * arch's backcast: sum_i w_i (r_i - rbar)^2 over the first tau = min(75, n) observations with
 * w_i proportional to 0.94^i (i = 0..tau-1) and sum w_i = 1; rbar is the mean of the whole series.
 */
export function ewmaBackcast(r: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < r.length; i++) mean += r[i]!;
  mean /= r.length;
  const tau = Math.min(75, r.length);
  let w = 1;
  let sw = 0;
  let s = 0;
  for (let i = 0; i < tau; i++) {
    const d = r[i]! - mean;
    s += w * d * d;
    sw += w;
    w *= 0.94;
  }
  return s / sw;
}

/**
 * omega + sum_i alpha_i e^2_{t-i} + sum_j beta_j h_{t-j} before the soft bounds, with the
 * backcast standing in for lags before t0.
 */
function varianceStep(
  theta: Float64Array,
  omega: number,
  aOff: number,
  p: number,
  bOff: number,
  q: number,
  e: Float64Array,
  h: Float64Array,
  t: number,
  t0: number,
  backcast: number,
): number {
  let v = omega;
  for (let i = 1; i <= p; i++) {
    const s = t - i;
    v += theta[aOff + i - 1]! * (s >= t0 ? e[s]! * e[s]! : backcast);
  }
  for (let j = 1; j <= q; j++) {
    const s = t - j;
    v += theta[bOff + j - 1]! * (s >= t0 ? h[s]! : backcast);
  }
  return v;
}

/** First t from which every lag of the recursion is in the sample (no pre-sample value). */
function steadyStart(t0: number, n: number, p: number, q: number): number {
  return Math.min(n, t0 + Math.max(p, q));
}

/**
 * Writes h_t for t = t0..n-1 into `h` (see the module comment), and into `dv` the slope of the
 * soft bounds dh_t / dv_t (1 inside them, 0 on the floor, 1 / v above the ceiling) that the
 * reverse pass (`garchAdjoint`) needs.
 *
 * omega and the ARCH terms do not depend on the recursion: they are summed into `dv` first, one
 * lag at a time (`addArchTerm`), and the loop along the chain adds the GARCH terms, those of
 * lags in the sample (j <= t - t0) before the pre-sample ones: each h_t is `varianceStep`'s sum,
 * in its order.
 */
export function garchRecursion(
  theta: Float64Array,
  omega: number,
  aOff: number,
  p: number,
  bOff: number,
  q: number,
  e: Float64Array,
  t0: number,
  n: number,
  backcast: number,
  lo: number,
  hi: number,
  h: Float64Array,
  dv: Float64Array,
): void {
  dv.fill(omega, t0, n);
  for (let i = 1; i <= p; i++) addArchTerm(theta[aOff + i - 1]!, i, e, t0, n, backcast, dv);
  for (let t = t0; t < n; t++) {
    let v = dv[t]!;
    const inSample = Math.min(q, t - t0);
    for (let j = 1; j <= inSample; j++) v += theta[bOff + j - 1]! * h[t - j]!;
    for (let j = inSample + 1; j <= q; j++) v += theta[bOff + j - 1]! * backcast;
    // Stores on each branch, not a select: once the bounds' branches had run, V8 boxed the
    // select's value.
    if (v >= lo && v <= hi) {
      h[t] = v;
      dv[t] = 1;
    } else if (v < lo) {
      h[t] = lo;
      dv[t] = 0;
    } else {
      h[t] = hi + Math.log(v / hi);
      dv[t] = 1 / v;
    }
  }
}

/** Adds the ARCH term of lag i, a e^2_{t-i} (a times the backcast before the sample), to sum[t]. */
function addArchTerm(
  a: number,
  i: number,
  e: Float64Array,
  t0: number,
  n: number,
  backcast: number,
  sum: Float64Array,
): void {
  const w = Math.min(n, t0 + i);
  for (let t = t0; t < w; t++) sum[t] += a * backcast;
  for (let t = w; t < n; t++) {
    const es = e[t - i]!;
    sum[t] += a * (es * es);
  }
}

/**
 * The gradient of a log-likelihood sum_t l_t(e_t, h_t) through the recursion, by reverse
 * accumulation after `garchRecursion`: with lh_t = dl_t/dh_t, the sensitivity of the sum to
 * v_t (h_t before the soft bounds) is mu_t = dv_t (lh_t + sum_j beta_j mu_{t+j}), and
 *
 *   dLL/d alpha_i = sum_t mu_t E_{t-i},   dLL/d beta_j = sum_t mu_t H_{t-j},
 *
 * with E and H the lagged e^2 and h (the backcast before t0). Adds those to `grad` (at aOff,
 * bOff), adds 2 e_s sum_i alpha_i mu_{s+i} to `ge[s]` (the part of dLL/de_s that goes through
 * the variance; the caller starts ge at dl/de), and writes to `sums` dLL/d omega (sum_t mu_t)
 * and dLL/d backcast. O(n (p + q)), where the forward derivatives (`garchRecursionGrad`) cost
 * k times as much: the optimiser's gradient; the per-observation scores need the forward pass.
 *
 * Every sum takes its terms t descending; ge[s] its terms t = s + i by i descending.
 */
export function garchAdjoint(
  theta: Float64Array,
  aOff: number,
  p: number,
  bOff: number,
  q: number,
  e: Float64Array,
  t0: number,
  n: number,
  backcast: number,
  h: Float64Array,
  dv: Float64Array,
  lh: Float64Array,
  mu: Float64Array,
  ge: Float64Array,
  grad: Float64Array,
  sums: Float64Array,
): void {
  const sumMu = adjointChain(theta, bOff, q, t0, n, dv, lh, mu);
  // Past the pre-sample lags, one lag at a time; then the first lags, where the backcast stands in.
  const w = steadyStart(t0, n, p, q);
  for (let i = p; i >= 1; i--) {
    const g = grad[aOff + i - 1]!;
    grad[aOff + i - 1] = archAdjoint(theta[aOff + i - 1]!, i, e, w, n, mu, ge, g);
  }
  for (let j = 1; j <= q; j++) {
    const g = grad[bOff + j - 1]!;
    grad[bOff + j - 1] = garchLagAdjoint(j, h, w, n, mu, g);
  }
  let dBackcast = 0;
  for (let t = w - 1; t >= t0; t--) {
    const m = mu[t]!;
    for (let i = 1; i <= p; i++) {
      const s = t - i;
      const a = theta[aOff + i - 1]!;
      if (s >= t0) {
        const es = e[s]!;
        grad[aOff + i - 1] += m * es * es;
        ge[s] += 2 * es * a * m;
      } else {
        grad[aOff + i - 1] += m * backcast;
        dBackcast += m * a;
      }
    }
    for (let j = 1; j <= q; j++) {
      const s = t - j;
      if (s >= t0) grad[bOff + j - 1] += m * h[s]!;
      else {
        grad[bOff + j - 1] += m * backcast;
        dBackcast += m * theta[bOff + j - 1]!;
      }
    }
  }
  sums[0] = sumMu;
  sums[1] = dBackcast;
}

/** The sensitivities mu_t (see `garchAdjoint`) into `mu`, t descending; returns their sum. */
function adjointChain(
  theta: Float64Array,
  bOff: number,
  q: number,
  t0: number,
  n: number,
  dv: Float64Array,
  lh: Float64Array,
  mu: Float64Array,
): number {
  let sumMu = 0;
  // The last q have fewer than q lags after them.
  const full = Math.max(t0, n - q);
  for (let t = n - 1; t >= full; t--) {
    let lambda = lh[t]!;
    for (let j = 1; t + j < n; j++) lambda += theta[bOff + j - 1]! * mu[t + j]!;
    const m = lambda * dv[t]!;
    mu[t] = m;
    sumMu += m;
  }
  for (let t = full - 1; t >= t0; t--) {
    let lambda = lh[t]!;
    for (let j = 1; j <= q; j++) lambda += theta[bOff + j - 1]! * mu[t + j]!;
    const m = lambda * dv[t]!;
    mu[t] = m;
    sumMu += m;
  }
  return sumMu;
}

/**
 * `g` plus sum_t mu_t e^2_{t-i} over t = n-1 down to w (ARCH lag i, coefficient a), adding each
 * 2 e_{t-i} a mu_t to ge[t-i].
 */
function archAdjoint(
  a: number,
  i: number,
  e: Float64Array,
  w: number,
  n: number,
  mu: Float64Array,
  ge: Float64Array,
  g: number,
): number {
  let sum = g;
  for (let t = n - 1; t >= w; t--) {
    const m = mu[t]!;
    const es = e[t - i]!;
    sum += m * es * es;
    ge[t - i] += 2 * es * a * m;
  }
  return sum;
}

/** `g` plus sum_t mu_t h_{t-j} over t = n-1 down to w (GARCH lag j). */
function garchLagAdjoint(
  j: number,
  h: Float64Array,
  w: number,
  n: number,
  mu: Float64Array,
  g: number,
): number {
  let sum = g;
  for (let t = n - 1; t >= w; t--) sum += mu[t]! * h[t - j]!;
  return sum;
}

/**
 * h_t and its derivatives dh_t/dθ_k for all k parameters, after `garchRecursion` (which writes
 * h and, into `dv`, the slopes of the soft bounds), one parameter at a time (`gradColumn`).
 *
 * - `dOmega[k]`: d omega / dθ_k (1 at omega's own index; under variance targeting the
 *   derivative of the implied omega).
 * - `dBackcast[k]`: d backcast / dθ_k (non-zero only under the fcp convention, for the mean
 *   parameters).
 * - The first m parameters are the mean's, with de_t / dθ_k = -1 for mu (k = 0) and -r_{t-k}
 *   for the AR terms (`r`: the returns), which do not depend on θ.
 * - `dh`: n x k row-major output.
 */
export function garchRecursionGrad(
  theta: Float64Array,
  omega: number,
  aOff: number,
  p: number,
  bOff: number,
  q: number,
  e: Float64Array,
  t0: number,
  n: number,
  backcast: number,
  lo: number,
  hi: number,
  k: number,
  m: number,
  dOmega: Float64Array,
  dBackcast: Float64Array,
  r: Float64Array,
  h: Float64Array,
  dv: Float64Array,
  dh: Float64Array,
): void {
  garchRecursion(theta, omega, aOff, p, bOff, q, e, t0, n, backcast, lo, hi, h, dv);
  const inputs = { omega, backcast, lo, hi };
  for (let kk = 0; kk < k; kk++) {
    gradColumn(
      theta,
      aOff,
      p,
      bOff,
      q,
      e,
      t0,
      n,
      inputs,
      k,
      m,
      kk,
      dOmega[kk]!,
      dBackcast[kk]!,
      r,
      h,
      dv,
      dh,
    );
  }
}

/** What `gradColumn` needs of the recursion's inputs to sum v_t again off the bounds' inside. */
interface RecursionInputs {
  readonly omega: number;
  readonly backcast: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Column kk of dh: dh_t/dθ_kk = dOmega + sum_i alpha_i dE_{t-i} + sum_j beta_j dh_{t-j} (dE the
 * derivative of e^2, or `dBackcast` before the sample), plus the direct term when θ_kk is
 * alpha_i or beta_j (h_t is linear in them), times the soft bounds' slope. As in
 * `garchRecursion`, the terms that do not depend on the chain go into the column first, one lag
 * at a time.
 */
function gradColumn(
  theta: Float64Array,
  aOff: number,
  p: number,
  bOff: number,
  q: number,
  e: Float64Array,
  t0: number,
  n: number,
  inputs: RecursionInputs,
  k: number,
  m: number,
  kk: number,
  dOmega: number,
  dBackcast: number,
  r: Float64Array,
  h: Float64Array,
  dv: Float64Array,
  dh: Float64Array,
): void {
  const { omega, backcast, lo, hi } = inputs;
  fillColumn(dh, k, kk, t0, n, dOmega);
  for (let i = 1; i <= p; i++) {
    addArchDerivative(theta[aOff + i - 1]!, i, e, t0, n, k, m, kk, dBackcast, r, dh);
  }
  // The lag of θ_kk's direct term: ARCH lag i > 0, or GARCH lag j > 0.
  const archLag = kk >= aOff && kk < aOff + p ? kk - aOff + 1 : 0;
  const garchLag = kk >= bOff && kk < bOff + q ? kk - bOff + 1 : 0;
  for (let t = t0; t < n; t++) {
    let g = dh[t * k + kk]!;
    const inSample = Math.min(q, t - t0);
    for (let j = 1; j <= inSample; j++) g += theta[bOff + j - 1]! * dh[(t - j) * k + kk]!;
    for (let j = inSample + 1; j <= q; j++) g += theta[bOff + j - 1]! * dBackcast;
    if (archLag > 0) {
      const s = t - archLag;
      g += s >= t0 ? e[s]! * e[s]! : backcast;
    } else if (garchLag > 0) {
      const s = t - garchLag;
      g += s >= t0 ? h[s]! : backcast;
    }
    // Off the bounds' inside (slope 1; or v = 1 exactly above the ceiling, where dividing by
    // v changes nothing) the derivative takes their slope, from v summed again (rare).
    if (dv[t] !== 1) {
      const v = varianceStep(theta, omega, aOff, p, bOff, q, e, h, t, t0, backcast);
      if (v < lo) g = 0;
      else if (v > hi) g /= v;
    }
    dh[t * k + kk] = g;
  }
}

/**
 * Adds ARCH lag i's term (coefficient a) of dh_t/dθ_kk to column kk of dh: a dBackcast before
 * the sample, a d(e^2_{t-i})/dθ_kk in it (non-zero for the mean parameters only).
 */
function addArchDerivative(
  a: number,
  i: number,
  e: Float64Array,
  t0: number,
  n: number,
  k: number,
  m: number,
  kk: number,
  dBackcast: number,
  r: Float64Array,
  dh: Float64Array,
): void {
  const w = Math.min(n, t0 + i);
  for (let t = t0; t < w; t++) dh[t * k + kk] += a * dBackcast;
  if (kk >= m) return;
  for (let t = w; t < n; t++) {
    const s = t - i;
    dh[t * k + kk] += a * 2 * e[s]! * (kk === 0 ? -1 : -r[s - kk]!);
  }
}

/** Sets column kk of the row-major n x k array `a` to `value` over rows t0..n-1. */
function fillColumn(
  a: Float64Array,
  k: number,
  kk: number,
  t0: number,
  n: number,
  value: number,
): void {
  for (let t = t0; t < n; t++) a[t * k + kk] = value;
}
