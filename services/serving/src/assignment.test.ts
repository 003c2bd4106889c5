import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignVariant, bucketOf } from "./assignment.js";

describe("assignVariant", () => {
  it("is stable for a user and an experiment", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 100 }), (exp, user, w) => {
        expect(assignVariant(exp, user, w)).toBe(assignVariant(exp, user, w));
      }),
    );
  });

  it("only moves users to the challenger as the weight rises", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(100), fc.nat(100), (exp, user, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (assignVariant(exp, user, lo) === "challenger") {
          expect(assignVariant(exp, user, hi)).toBe("challenger");
        }
      }),
    );
  });

  it("sends everyone to one arm at 0 and 100", () => {
    for (let i = 0; i < 200; i++) {
      expect(assignVariant("exp", `u${i}`, 0)).toBe("champion");
      expect(assignVariant("exp", `u${i}`, 100)).toBe("challenger");
    }
  });

  it("splits users in the configured ratio (chi-squared at 99.9 %)", () => {
    const n = 20_000;
    for (const weight of [10, 25, 50]) {
      let challenger = 0;
      for (let i = 0; i < n; i++)
        if (assignVariant("exp-1", `user-${i}`, weight) === "challenger") challenger++;
      const expected = (n * weight) / 100;
      const chi2 =
        (challenger - expected) ** 2 / expected + (challenger - expected) ** 2 / (n - expected);
      expect(chi2).toBeLessThan(10.83); // 1 degree of freedom, p = 0.001
    }
  });

  it("reshuffles users between experiments", () => {
    let same = 0;
    for (let i = 0; i < 2000; i++)
      if (bucketOf("a", `u${i}`) < 50 === bucketOf("b", `u${i}`) < 50) same++;
    expect(same).toBeGreaterThan(850);
    expect(same).toBeLessThan(1150);
  });

  it("rejects a weight outside 0..100", () => {
    expect(() => assignVariant("e", "u", 101)).toThrow(/challengerPercent must be within 0..100/);
    expect(() => assignVariant("e", "u", Number.NaN)).toThrow(RangeError);
  });
});
