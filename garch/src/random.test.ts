import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GarchInputError } from "./errors.js";
import { checkSeed, deriveSeed, Random } from "./random.js";

/** Sample mean and (population) variance. */
function meanVar(xs: ArrayLike<number>): { mean: number; variance: number } {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - m) ** 2;
  return { mean: m, variance: v / xs.length };
}

function draws(n: number, draw: () => number): Float64Array {
  return Float64Array.from({ length: n }, draw);
}

describe("Random", () => {
  it("gives the same stream for the same seed and different streams for different seeds", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (seed) => {
        const a = new Random(seed);
        const b = new Random(seed);
        const xs = Array.from({ length: 8 }, () => a.nextUint32());
        expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xs);
        const c = new Random(seed === 0 ? 1 : seed - 1);
        expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xs);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the streams of seeds 0 and 42 fixed", () => {
    // Pinned so that a change of generator, which silently changes every seeded result that
    // runs have recorded, is a deliberate act. (The xoshiro128** step itself was checked
    // against the authors' C reference from the state {1, 2, 3, 4}.)
    const first4 = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 4 }, () => r.nextUint32());
    };
    expect(first4(0)).toEqual([3809008728, 1219411154, 2874742318, 3019234641]);
    expect(first4(42)).toEqual([2837322924, 2689157697, 135565847, 3108665369]);
  });

  it("separates seeds that differ only in their high or low 32 bits", () => {
    const first = (seed: number) => {
      const r = new Random(seed);
      return [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    };
    const streams = [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER].map(first);
    expect(new Set(streams.map((s) => s.join())).size).toBe(streams.length);
  });

  it("draws floats in [0, 1) that are uniform by mean and by decile counts", () => {
    const n = 100_000;
    const rng = new Random(7);
    const xs = draws(n, () => rng.nextFloat());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // Mean of U(0,1): variance 1/12 per draw; 5 standard errors.
    expect(Math.abs(meanVar(xs).mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    // Each decile count is Binomial(n, 0.1): 5 standard errors of sqrt(n 0.1 0.9) = 95.
    const counts = new Array<number>(10).fill(0);
    for (const x of xs) counts[Math.floor(x * 10)]!++;
    for (const c of counts) expect(Math.abs(c - n / 10)).toBeLessThan(5 * Math.sqrt(n * 0.09));
  });

  it("draws open-interval floats strictly inside (0, 1)", () => {
    const rng = new Random(3);
    const xs = draws(20_000, () => rng.nextOpenFloat());
    expect(Math.min(...xs)).toBeGreaterThan(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it.each([0.3, 1, 2.5, 10])("draws Gamma(%s) with mean and variance equal to the shape", (k) => {
    const n = 100_000;
    const rng = new Random(11);
    const { mean, variance } = meanVar(draws(n, () => rng.gamma(k)));
    // Gamma(k, 1): mean k, variance k, fourth central moment 3k^2 + 6k, so the sample
    // variance has variance (3k^2 + 6k - k^2) / n. Bounds at 5 standard errors.
    expect(Math.abs(mean - k)).toBeLessThan(5 * Math.sqrt(k / n));
    expect(Math.abs(variance - k)).toBeLessThan(5 * Math.sqrt((2 * k * k + 6 * k) / n));
  });

  it("draws positive gamma variates for tiny shapes", () => {
    const rng = new Random(5);
    for (let i = 0; i < 1000; i++) expect(rng.gamma(0.05)).toBeGreaterThanOrEqual(0);
  });

  it.each([1, 3, 10, 2 ** 31 + 1])(
    "draws integers below %s with uniform counts (rejection, no modulo bias)",
    (n) => {
      const rng = new Random(9);
      const draws = 60_000;
      const bins = Math.min(n, 10);
      const counts = new Array<number>(bins).fill(0);
      for (let i = 0; i < draws; i++) {
        const x = rng.nextInt(n);
        expect(Number.isInteger(x) && x >= 0 && x < n).toBe(true);
        counts[Math.floor((x * bins) / n)]!++;
      }
      // Each bin is Binomial(draws, ~1/bins); 5 standard errors.
      const p = 1 / bins;
      for (const c of counts)
        expect(Math.abs(c - draws * p)).toBeLessThan(5 * Math.sqrt(draws * p * (1 - p)) + 1);
    },
  );

  it("shuffles into a permutation, every position equally likely", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 50 }), (seed, n) => {
        const items = Int32Array.from({ length: n }, (_, i) => i);
        new Random(seed).shuffle(items);
        expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
    const rng = new Random(4);
    const firstIs = new Array<number>(4).fill(0);
    for (let i = 0; i < 40_000; i++) firstIs[rng.shuffle([0, 1, 2, 3])[0]!]!++;
    // Binomial(40,000, 1/4): 5 standard errors of ~87.
    for (const c of firstIs) expect(Math.abs(c - 10_000)).toBeLessThan(5 * 87);
  });
});

describe("deriveSeed", () => {
  it("depends only on (seed, index), gives uint32s and separates indices and seeds", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (seed) => {
        const family = Array.from({ length: 16 }, (_, i) => deriveSeed(seed, i));
        expect(Array.from({ length: 16 }, (_, i) => deriveSeed(seed, i))).toEqual(family);
        expect(family.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
        expect(new Set(family).size).toBe(16);
      }),
      { numRuns: 200 },
    );
    expect(deriveSeed(2 ** 32 + 7, 0)).not.toBe(deriveSeed(7, 0));
  });

  it("keeps the members of seed 42 fixed", () => {
    // Pinned: forests and sweeps record only (seed, index), so the derivation is part of the
    // recorded result, as the generator's stream is.
    expect([0, 1, 2].map((i) => deriveSeed(42, i))).toEqual([4239151987, 365950908, 1447901669]);
  });
});

describe("checkSeed", () => {
  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "1", null])(
    "rejects %s naming the seed",
    (seed) => {
      expect(() => checkSeed(seed)).toThrow(GarchInputError);
      expect(() => new Random(seed as number)).toThrow(/seed must be a non-negative safe integer/);
    },
  );

  it("accepts 0 and the largest safe integer", () => {
    expect(checkSeed(0)).toBe(0);
    expect(checkSeed(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
