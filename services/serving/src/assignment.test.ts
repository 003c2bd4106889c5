import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignVariant, bucketOf } from "./assignment.js";

describe("assignVariant", () => {
  it('places a user by the first 32 bits of SHA-256("<experiment>:<user>"), as documented', () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (exp, user) => {
        const digest = createHash("sha256").update(`${exp}:${user}`, "utf8").digest();
        expect(bucketOf(exp, user)).toBe((digest.readUInt32BE(0) / 2 ** 32) * 100);
      }),
    );
    // A digest whose first byte is below 0x10 keeps its leading zero in the hex text.
    const low = Array.from({ length: 100 }, (_, i) => `u${i}`).find(
      (u) => createHash("sha256").update(`e:${u}`).digest()[0]! < 0x10,
    )!;
    expect(bucketOf("e", low)).toBeLessThan(100 / 16);
  });

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
