import { describe, expect, it } from "vitest";
import { distribution } from "./distributions.js";
import { GarchInputError } from "./errors.js";
import { Random } from "./random.js";
import { checkShape, innovationSampler, type ShapeParams } from "./sampling.js";
import { lgamma } from "./special.js";
import type { DistName } from "./types.js";

const N = 200_000;
/** Every tolerance below is this many standard errors (two-sided p about 6e-7). */
const Z = 5;

function sample(dist: DistName, shape: ShapeParams, seed: number, n = N): Float64Array {
  const draw = innovationSampler(dist, shape, new Random(seed));
  return Float64Array.from({ length: n }, draw);
}

/** Raw moments E z^k (k = 1..4) of a sample. */
function rawMoments(xs: Float64Array): [number, number, number, number] {
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const x of xs) {
    const x2 = x * x;
    m1 += x;
    m2 += x2;
    m3 += x2 * x;
    m4 += x2 * x2;
  }
  const n = xs.length;
  return [m1 / n, m2 / n, m3 / n, m4 / n];
}

/**
 * Even moments m2, m4, m6, m8 of a symmetric unit-variance distribution, for the standard
 * errors of the sample variance and kurtosis.
 */
type EvenMoments = (k: 1 | 2 | 3 | 4) => number;

/** Standardised t: E z^2k = (nu - 2)^k Gamma(k + 1/2) Gamma(nu/2 - k) / (sqrt(pi) Gamma(nu/2)). */
const tMoments =
  (nu: number): EvenMoments =>
  (k) =>
    Math.exp(
      k * Math.log(nu - 2) +
        lgamma(k + 0.5) +
        lgamma(nu / 2 - k) -
        0.5 * Math.log(Math.PI) -
        lgamma(nu / 2),
    );

/** GED: E |z|^r = s^r 2^(r/nu) Gamma((r + 1)/nu) / Gamma(1/nu), s^2 = 2^(-2/nu) Gamma(1/nu) / Gamma(3/nu). */
const gedMoments =
  (nu: number): EvenMoments =>
  (k) => {
    const r = 2 * k;
    const logS = -Math.LN2 / nu + 0.5 * (lgamma(1 / nu) - lgamma(3 / nu));
    return Math.exp(r * logS + (r / nu) * Math.LN2 + lgamma((r + 1) / nu) - lgamma(1 / nu));
  };

const normalMoments: EvenMoments = (k) => [1, 3, 15, 105][k - 1]!;

describe("innovationSampler: symmetric distributions", () => {
  const cases: [string, DistName, ShapeParams, EvenMoments][] = [
    ["normal", "normal", {}, normalMoments],
    ["t, nu = 12", "t", { nu: 12 }, tMoments(12)],
    ["ged, nu = 1 (Laplace)", "ged", { nu: 1 }, gedMoments(1)],
    ["ged, nu = 1.5", "ged", { nu: 1.5 }, gedMoments(1.5)],
    ["ged, nu = 4", "ged", { nu: 4 }, gedMoments(4)],
  ];

  it.each(cases)("%s: mean 0, variance 1 and the theoretical kurtosis", (_, dist, shape, m) => {
    const [m1, m2, m3, m4] = rawMoments(sample(dist, shape, 2024));
    const [t2, t4, t6, t8] = [m(1), m(2), m(3), m(4)];
    expect(t2).toBeCloseTo(1, 12);
    // Mean: variance 1 / N. Variance (mean known to be 0): (m4 - 1) / N. Odd moment m3: m6 / N.
    expect(Math.abs(m1)).toBeLessThan(Z / Math.sqrt(N));
    expect(Math.abs(m2 - 1)).toBeLessThan(Z * Math.sqrt((t4 - 1) / N));
    expect(Math.abs(m3)).toBeLessThan(Z * Math.sqrt(t6 / N));
    // Kurtosis m4 / m2^2 by the delta method: gradient (-2 m4, 1) in (m2, m4), so its variance is
    // [m8 - m4^2 - 4 m4 (m6 - m4) + 4 m4^2 (m4 - 1)] / N.
    const kurtosisVar = (t8 - t4 * t4 - 4 * t4 * (t6 - t4) + 4 * t4 * t4 * (t4 - 1)) / N;
    expect(Math.abs(m4 / (m2 * m2) - t4)).toBeLessThan(Z * Math.sqrt(kurtosisVar));
  });

  it("t moments match the closed form kurtosis 3 + 6 / (nu - 4)", () => {
    for (const nu of [5, 8, 12, 30]) expect(tMoments(nu)(2)).toBeCloseTo(3 + 6 / (nu - 4), 10);
  });

  it("ged with nu = 2 is the normal: kurtosis 3", () => {
    expect(gedMoments(2)(2)).toBeCloseTo(3, 10);
  });
});

describe("innovationSampler: Hansen's skew-t", () => {
  it.each([
    [8, 0.4],
    [8, -0.4],
    [5, 0.2],
  ])("nu = %s, lambda = %s: mean 0, variance 1, skewness of lambda's sign", (nu, lambda) => {
    const xs = sample("skewt", { nu, lambda }, 99);
    const [m1, m2, m3, m4] = rawMoments(xs);
    expect(Math.abs(m1)).toBeLessThan(Z / Math.sqrt(N));
    // The sample's own fourth moment stands in for the exact one in the variance's standard error
    // (for nu = 5 it is finite but large, which only widens the bound).
    expect(Math.abs(m2 - 1)).toBeLessThan(Z * Math.sqrt((m4 - 1) / N));
    expect(Math.sign(m3 - 3 * m1 * m2 + 2 * m1 ** 3)).toBe(Math.sign(lambda));
  });

  it("reduces to the standardised t when lambda = 0", () => {
    const [, m2, , m4] = rawMoments(sample("skewt", { nu: 12, lambda: 0 }, 5));
    const m = tMoments(12);
    expect(Math.abs(m2 - 1)).toBeLessThan(Z * Math.sqrt((m(2) - 1) / N));
    expect(Math.abs(m4 - m(2))).toBeLessThan(Z * Math.sqrt((m(4) - m(2) ** 2) / N));
  });
});

/** P(z <= x) by Simpson's rule on the log-density of `distributions.ts` at unit variance. */
function cdf(dist: DistName, shape: number[], x: number, from = -80, steps = 40_000): number {
  const k = distribution(dist).kernel(shape, 0);
  const f = (z: number) => Math.exp(k.logDensity(z, 1, null));
  const hStep = (x - from) / steps;
  let s = f(from) + f(x);
  for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * f(from + i * hStep);
  return (s * hStep) / 3;
}

describe("innovationSampler agrees with the likelihood's densities", () => {
  // The empirical CDF at each point is Binomial(N, F(x)) / N; the tail of the density below -80
  // is below 1e-10 for these shapes, far under the tolerance.
  it.each<[DistName, ShapeParams, number[]]>([
    ["normal", {}, []],
    ["t", { nu: 4 }, [4]],
    ["skewt", { nu: 6, lambda: 0.5 }, [6, 0.5]],
    ["skewt", { nu: 3.5, lambda: -0.7 }, [3.5, -0.7]],
    ["ged", { nu: 0.8 }, [0.8]],
  ])("%s %j: empirical CDF within binomial error of the integrated density", (dist, shape, vec) => {
    const xs = sample(dist, shape, 31, 100_000);
    for (const x of [-2, -1, -0.3, 0, 0.3, 1, 2]) {
      const p = cdf(dist, vec, x);
      let below = 0;
      for (const v of xs) if (v <= x) below++;
      expect(Math.abs(below / xs.length - p)).toBeLessThan(
        Z * Math.sqrt((p * (1 - p)) / xs.length),
      );
    }
  });
});

describe("checkShape", () => {
  it.each<[DistName, ShapeParams, RegExp]>([
    ["t", {}, /params\.nu must be a finite number > 2 for dist "t"/],
    ["t", { nu: 2 }, /params\.nu must be a finite number > 2/],
    ["skewt", { nu: 5 }, /params\.lambda must be a number in \(-1, 1\)/],
    ["skewt", { nu: 5, lambda: 1 }, /params\.lambda/],
    ["skewt", { nu: Number.NaN, lambda: 0 }, /params\.nu/],
    ["ged", { nu: 0 }, /params\.nu must be a finite number > 0 for dist "ged"/],
    ["ged", { nu: Number.POSITIVE_INFINITY }, /params\.nu/],
  ])("%s %j is rejected", (dist, shape, message) => {
    expect(() => checkShape(dist, shape)).toThrow(GarchInputError);
    expect(() => innovationSampler(dist, shape, new Random(1))).toThrow(message);
  });

  it("ignores shape parameters the distribution does not use", () => {
    expect(() => checkShape("normal", { nu: -1, lambda: 7 })).not.toThrow();
  });
});
