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

/**
 * Writes h_t for t = t0..n-1 into `h` (see the module comment), and into `dv` the slope of the
 * soft bounds dh_t / dv_t (1 inside them, 0 on the floor, 1 / v above the ceiling) that the
 * reverse pass (`garchAdjoint`) needs.
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
  for (let t = t0; t < n; t++) {
    const v = varianceStep(theta, omega, aOff, p, bOff, q, e, h, t, t0, backcast);
    const inside = v >= lo && v <= hi;
    h[t] = inside ? v : v < lo ? lo : hi + Math.log(v / hi);
    dv[t] = inside ? 1 : v < lo ? 0 : 1 / v;
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
  let sumMu = 0;
  let dBackcast = 0;
  for (let t = n - 1; t >= t0; t--) {
    let lambda = lh[t]!;
    for (let j = 1; j <= q && t + j < n; j++) lambda += theta[bOff + j - 1]! * mu[t + j]!;
    const m = lambda * dv[t]!;
    mu[t] = m;
    sumMu += m;
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

/**
 * h_t and its derivatives dh_t/dθ_k for all k parameters in one pass.
 *
 * - `dOmega[k]`: d omega / dθ_k (1 at omega's own index; under variance targeting the
 *   derivative of the implied omega).
 * - `dBackcast[k]`: d backcast / dθ_k (non-zero only under the fcp convention, for the mean
 *   parameters).
 * - `de`: n x m row-major, de_t / dθ_k for the first m (mean) parameters, which do not depend
 *   on θ for the mean models here.
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
  de: Float64Array,
  h: Float64Array,
  dh: Float64Array,
): void {
  for (let t = t0; t < n; t++) {
    const v = varianceStep(theta, omega, aOff, p, bOff, q, e, h, t, t0, backcast);
    const row = t * k;
    for (let kk = 0; kk < k; kk++) {
      let g = dOmega[kk]!;
      for (let i = 1; i <= p; i++) {
        const s = t - i;
        const a = theta[aOff + i - 1]!;
        if (s >= t0) {
          if (kk < m) g += a * 2 * e[s]! * de[s * m + kk]!;
        } else g += a * dBackcast[kk]!;
      }
      for (let j = 1; j <= q; j++) {
        const s = t - j;
        g += theta[bOff + j - 1]! * (s >= t0 ? dh[s * k + kk]! : dBackcast[kk]!);
      }
      dh[row + kk] = g;
    }
    // The direct terms: h_t is linear in alpha_i and beta_j.
    for (let i = 1; i <= p; i++) {
      const s = t - i;
      dh[row + aOff + i - 1] += s >= t0 ? e[s]! * e[s]! : backcast;
    }
    for (let j = 1; j <= q; j++) {
      const s = t - j;
      dh[row + bOff + j - 1] += s >= t0 ? h[s]! : backcast;
    }
    if (v < lo) {
      h[t] = lo;
      for (let kk = 0; kk < k; kk++) dh[row + kk] = 0;
    } else if (v > hi) {
      h[t] = hi + Math.log(v / hi);
      for (let kk = 0; kk < k; kk++) dh[row + kk] /= v;
    } else h[t] = v;
  }
}
