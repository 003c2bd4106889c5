import { Random } from "@mlops/garch/random";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bernoulliMoments,
  EMPTY_MOMENTS,
  lostSpread,
  MAX_CANCELLATION_ERROR,
  MomentAccumulator,
  mergeMoments,
  momentsFromSums,
  momentsOf,
  summarize,
} from "./moments.js";

const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });

function streamed(values: readonly number[]) {
  const acc = new MomentAccumulator();
  for (const x of values) acc.add(x);
  return acc.moments();
}

function expectSameMoments(
  actual: { n: number; mean: number; m2: number },
  expected: { n: number; mean: number; m2: number },
): void {
  expect(actual.n).toBe(expected.n);
  const scale = Math.max(1, ...[expected.mean, actual.mean].map(Math.abs));
  expect(Math.abs(actual.mean - expected.mean)).toBeLessThanOrEqual(1e-9 * scale);
  expect(Math.abs(actual.m2 - expected.m2)).toBeLessThanOrEqual(
    1e-9 * Math.max(1, expected.m2) * scale,
  );
}

describe("streaming moments", () => {
  it("Welford streaming agrees with the two-pass moments of the whole array", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), (xs) => {
        expectSameMoments(streamed(xs), momentsOf(xs));
      }),
    );
  });

  it("merging batches in any split (replicas) equals one pass over everything", () => {
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 100 }),
        fc.array(value, { maxLength: 100 }),
        fc.array(value, { maxLength: 100 }),
        (a, b, c) => {
          const whole = momentsOf([...a, ...b, ...c]);
          const leftFirst = mergeMoments(mergeMoments(momentsOf(a), momentsOf(b)), momentsOf(c));
          const rightFirst = mergeMoments(momentsOf(a), mergeMoments(momentsOf(b), momentsOf(c)));
          expectSameMoments(leftFirst, whole);
          expectSameMoments(rightFirst, whole);
          const acc = new MomentAccumulator();
          acc.merge(momentsOf(a));
          for (const x of b) acc.add(x);
          acc.merge(momentsOf(c));
          expectSameMoments(acc.moments(), whole);
        },
      ),
    );
  });

  it("keeps the variance of values with a large mean, where Σx² − (Σx)²/n cancels", () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => 1e9 + (i % 10) * 1e-3);
    const exactVariance = summarize(momentsOf(xs.map((x) => x - 1e9))).variance;
    const welford = summarize(streamed(xs)).variance;
    expect(Math.abs(welford - exactVariance) / exactVariance).toBeLessThan(1e-6);
    let sum = 0;
    let sumSq = 0;
    for (const x of xs) {
      sum += x;
      sumSq += x * x;
    }
    // The sums cannot carry that variance: it is reported unknown, not as a wrong number.
    expect(summarize(momentsFromSums(xs.length, sum, sumSq)).variance).toBeNaN();
  });

  it("reports a variance the plain sums lost as unknown: mean 1e8, sd 1, n 1000", () => {
    const rng = new Random(3);
    const xs = Array.from({ length: 1000 }, () => 1e8 + rng.standardNormal());
    const reference = summarize(momentsOf(xs)).variance;
    expect(reference).toBeGreaterThan(0.8);
    expect(reference).toBeLessThan(1.2);
    // The sums a store keeps, added up in arrival order.
    let sum = 0;
    let sumSq = 0;
    for (const x of xs) {
      sum += x;
      sumSq += x * x;
    }
    // Σx² ≈ 1e19 has an ulp of 2048 while the spread Σ(x − mean)² is about 1000: what the
    // subtraction gives is rounding noise (a variance of 20.5 against the two-pass 1.00 here).
    const fromSums = momentsFromSums(xs.length, sum, sumSq);
    expect(Math.abs(fromSums.mean - momentsOf(xs).mean)).toBeLessThan(1e-6);
    expect(fromSums.m2).toBeNaN();
    expect(lostSpread(fromSums)).toBe(true);
    // The same values summed about one of them (a store's centered sums) keep their spread.
    const shift = xs[0] as number;
    let d = 0;
    let dSq = 0;
    for (const x of xs) {
      d += x - shift;
      dSq += (x - shift) * (x - shift);
    }
    const about = momentsFromSums(xs.length, d, dSq, shift);
    expect(lostSpread(about)).toBe(false);
    expect(Math.abs(about.mean - momentsOf(xs).mean)).toBeLessThan(1e-6);
    expect(Math.abs(summarize(about).variance - reference) / reference).toBeLessThan(1e-6);
  });

  it("reads one fraction repeated as unknown from plain sums, and as exactly none about itself", () => {
    const n = 1000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      sum += 0.1;
      sumSq += 0.1 * 0.1;
    }
    expect(lostSpread(momentsFromSums(n, sum, sumSq))).toBe(true);
    expect(momentsFromSums(n, 0, 0, 0.1)).toEqual({ n, mean: 0.1, m2: 0 });
  });

  it("gives a variance from sums only within MAX_CANCELLATION_ERROR of the two-pass one", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 3000 }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: -6, max: 3, noNaN: true }),
        (seed, n, logMean, logSd) => {
          const rng = new Random(seed);
          const mean = Math.sign(logMean) * 10 ** Math.abs(logMean);
          const xs = Array.from({ length: n }, () => mean + 10 ** logSd * rng.standardNormal());
          let sum = 0;
          let sumSq = 0;
          for (const x of xs) {
            sum += x;
            sumSq += x * x;
          }
          const reference = momentsOf(xs).m2;
          const { m2 } = momentsFromSums(n, sum, sumSq);
          if (Number.isNaN(m2)) {
            // Refused only where the spread is tiny against the mean (sd/mean < 1e-4 here).
            expect(Math.abs(mean) / 10 ** logSd).toBeGreaterThan(1e4);
            return;
          }
          expect(Math.abs(m2 - reference)).toBeLessThanOrEqual(MAX_CANCELLATION_ERROR * reference);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads database sums of 0/1 outcomes as Bernoulli moments", () => {
    const fromSums = momentsFromSums(10, 7, 7);
    expect(fromSums.mean).toBe(0.7);
    expect(fromSums.m2).toBeCloseTo(bernoulliMoments(7, 10).m2, 14);
    expect(bernoulliMoments(7, 10).m2).toBeCloseTo(2.1, 14);
    expect(momentsFromSums(0, 0, 0)).toEqual(EMPTY_MOMENTS);
  });

  it("rejects counts that are not whole or successes above n, naming the argument", () => {
    expect(() => momentsFromSums(2.5, 1, 1)).toThrow("n: must be a whole number, got 2.5");
    expect(() => momentsFromSums(2, Number.NaN, 1)).toThrow("sum: must be a finite number");
    expect(() => bernoulliMoments(11, 10)).toThrow("successes: must not exceed n (10), got 11");
  });
});
