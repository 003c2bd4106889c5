/**
 * The distribution functions the tests need. They come from stdlib's per-function packages: ports
 * of Boost/Cephes algorithms (regularized incomplete beta and gamma, inverse complementary error
 * function) that are accurate to a few ulps, carry their own TypeScript types, have no runtime
 * dependencies beyond stdlib itself and run on any Node. A home-grown incomplete beta would have
 * to be proven to that accuracy across every (x, a, b) the t distribution reaches; a maintained
 * port already has been. Tails are always computed directly (never as 1 − CDF), so p-values far
 * below machine epsilon keep their relative accuracy.
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

/** Student t quantile with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function tQuantile(p: number, df: number): number {
  return tQuantileImpl(p, df);
}

/** Two-sided p-value of a t statistic: 2·F(−|t|; df). */
export function tTwoSidedP(t: number, df: number): number {
  return Math.min(1, 2 * tCdfImpl(-Math.abs(t), df));
}

/** Upper tail P(X ≥ x) of a chi-squared variable with k degrees of freedom: Q(k/2, x/2). */
export function chiSquareSf(x: number, k: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, k / 2, true, true);
}
