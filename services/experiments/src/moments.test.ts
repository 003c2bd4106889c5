import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bernoulliMoments,
  EMPTY_MOMENTS,
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
    const naive = summarize(momentsFromSums(xs.length, sum, sumSq)).variance;
    expect(Math.abs(naive - exactVariance) / exactVariance).toBeGreaterThan(1);
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
