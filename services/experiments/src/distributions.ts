/**
 * The distribution functions the tests need. They come from stdlib's per-function packages: ports
 * of Boost/Cephes algorithms (regularized incomplete beta and gamma, inverse complementary error
 * function) that carry their own TypeScript types, have no runtime dependencies beyond stdlib
 * itself and run on any Node. A home-grown incomplete beta would have to be proven to their
 * accuracy across every (x, a, b) the t distribution reaches. Tails are always computed directly
 * (never as 1 − CDF), so p-values far below machine epsilon keep their relative accuracy.
 *
 * Checked against 40-digit values (mpmath) on df from 1 to 3e11, fractional too, and tail
 * probabilities from 1e-300 to 0.5 (distributions.test.ts): the t quantile to 1e-12 once the
 * collapse near 0 is mended here (`tAbove`); the chi-squared upper tail to 1e-10 for every
 * x up to k = 129 degrees of freedom, beyond which stdlib's incomplete gamma loses up to 1e-2
 * (its large-x and Temme branches), so `srmTest` takes at most MAX_SRM_ARMS arms.
 */
import erfcinv from "@stdlib/math-base-special-erfcinv";
import gammainc from "@stdlib/math-base-special-gammainc";
import normalCdfImpl from "@stdlib/stats-base-dists-normal-cdf";
import tCdfImpl from "@stdlib/stats-base-dists-t-cdf";
import tQuantileImpl from "@stdlib/stats-base-dists-t-quantile";

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return normalCdfImpl(x, 0, 1);
}

/**
 * Standard normal quantile Φ⁻¹(p) = −√2·erfcinv(2p). Through erfcinv rather than erfinv(2p − 1)
 * (what stdlib's normal quantile does): forming 2p − 1 throws away the digits of a small p, which
 * cost 2e-9 relative error at p = 1e-10.
 */
export function normalQuantile(p: number): number {
  return -Math.SQRT2 * erfcinv(2 * p);
}

/** Two-sided p-value of a standard normal statistic: 2·Φ(−|z|). */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/**
 * A two-sided level given both ways, `confidence` = 1 − `alpha`, each exact where it is the small
 * one: 1 − x is exact for x ≥ 0.5 (Sterbenz), while 0.5 + confidence/2 rounds away the digits of
 * a small alpha (relative error 2e-5 in the t quantile at alpha = 2e-12, df = 1) and 0.5 − alpha/2
 * those of a small confidence.
 */
export interface TwoSidedLevel {
  readonly confidence: number;
  readonly alpha: number;
}

/** Critical values below this (central probabilities up to about 0.004) come from series at 0. */
const CENTER = 0.01;

/**
 * Coefficients of Γ(x + ½)/Γ(x) ~ √x · Σ c_k x^−k as x → ∞; eight terms leave a relative error
 * below 1e-14 from x = 20 on.
 */
const HALF_GAMMA_RATIO = [
  1,
  -1 / 8,
  1 / 128,
  5 / 1024,
  -21 / 32768,
  -399 / 262144,
  869 / 4194304,
  39325 / 33554432,
];

/**
 * Γ(x + ½)/Γ(x) for x > 0: the series at x + k ≥ 20, carried down k steps by
 * Γ(x + ½)/Γ(x) = x/(x + ½) · Γ(x + 3/2)/Γ(x + 1).
 */
function halfGammaRatio(x: number): number {
  let scale = 1;
  let y = x;
  for (; y < 20; y += 1) scale *= y / (y + 0.5);
  let series = 0;
  for (let k = HALF_GAMMA_RATIO.length - 1; k >= 0; k--) {
    series = series / y + HALF_GAMMA_RATIO[k]!;
  }
  return scale * Math.sqrt(y) * series;
}

/**
 * z > 0 with P(Z > z) = `tail` and P(0 < Z ≤ z) = `central` (= 0.5 − tail): Φ⁻¹ of the tail, or
 * near 0 the series of √2·erfinv(2·central), which 0.5 − central would have rounded.
 */
function normalAbove(tail: number, central: number): number {
  const y = 2 * central;
  if (y * Math.sqrt(Math.PI / 2) >= CENTER) return -normalQuantile(tail);
  const k = Math.PI * y * y;
  return Math.sqrt(Math.PI / 2) * y * (1 + k / 12 + (7 * k * k) / 480 + (127 * k * k * k) / 40320);
}

/**
 * t > 0 with P(T > t) = `tail` and P(0 < T ≤ t) = `central` (= 0.5 − tail) on `df` degrees of
 * freedom. stdlib's quantile (an inverse incomplete beta in x = df/(df + t²)) is accurate to
 * about 1e-15 until x rounds to 1, where it returns 0: for t² below about 1e-16·df, which a
 * central probability near 0 reaches at any df, and any probability past df ≈ 1e16.
 * There, near 0, central = c·∫₀ᵗ (1 + s²/df)^−(df+1)/2 ds with c = Γ((df+1)/2)/(√(df·π)·Γ(df/2)),
 * whose power series in t²/df is solved by fixed point; and from df = 1e10 on the Cornish–Fisher
 * expansion t = z + (z³ + z)/(4·df), whose next term is below 1e-18 of it. Far in the tail, where
 * stdlib overflows, the tail's power law.
 */
function tAbove(tail: number, central: number, df: number): number {
  const density = halfGammaRatio(df / 2) / Math.sqrt(df * Math.PI);
  const guess = central / density;
  if (guess < CENTER) {
    // ∫₀ᵗ (1 + w)^−m ds over t: Σ_k (−m choose k)·w^k/(2k + 1) with w = t²/df, m = (df + 1)/2.
    const m = (df + 1) / 2;
    let t = guess;
    for (let iteration = 0; iteration < 4; iteration++) {
      const w = (t * t) / df;
      let term = 1;
      let sum = 1;
      for (let k = 1; Math.abs(term) > 1e-18; k++) {
        term *= (-(m + k - 1) * w) / k;
        sum += term / (2 * k + 1);
      }
      t = guess / sum;
    }
    return t;
  }
  if (df >= 1e10) {
    const z = normalAbove(tail, central);
    return z + (z * z * z + z) / (4 * df);
  }
  const t = -tQuantileImpl(tail, df);
  if (Number.isFinite(t)) return t;
  // Past t ≈ 1e154 (tails below about 1e-230 at df < 2.2) stdlib's x underflows and t comes out
  // infinite; there tail = c·df^((df − 1)/2)·t^−df to a relative 1e-300.
  return Math.exp((Math.log(density) + ((df - 1) / 2) * Math.log(df) - Math.log(tail)) / df);
}

/** Student t quantile: F⁻¹(p) with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function tQuantile(p: number, df: number): number {
  if (p === 0.5) return 0;
  // 0.5 − p and 1 − p are exact where they are used (p ≥ 0.25 and p ≥ 0.5).
  return p < 0.5 ? -tAbove(p, 0.5 - p, df) : tAbove(1 - p, p - 0.5, df);
}

/** The t critical value of a two-sided `level`: P(|T| ≤ t) = level.confidence. */
export function tCritical(level: TwoSidedLevel, df: number): number {
  return tAbove(level.alpha / 2, level.confidence / 2, df);
}

/** The normal critical value of a two-sided `level`: P(|Z| ≤ z) = level.confidence. */
export function normalCritical(level: TwoSidedLevel): number {
  return normalAbove(level.alpha / 2, level.confidence / 2);
}

/** Two-sided p-value of a t statistic: 2·F(−|t|; df). */
export function tTwoSidedP(t: number, df: number): number {
  return Math.min(1, 2 * tCdfImpl(-Math.abs(t), df));
}

/**
 * Upper tail P(X ≥ x) of a chi-squared variable with k degrees of freedom: Q(k/2, x/2); accurate
 * to 1e-10 for k ≤ 129 (see above).
 */
export function chiSquareSf(x: number, k: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, k / 2, true, true);
}
