import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectClose, R } from "../test-support/r-reference.js";
import { benjaminiHochbergAdjust, holmAdjust } from "./multiple.js";

describe("multiple-testing adjustments against R p.adjust", () => {
  it.each(R.padjust.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const holm = holmAdjust(c.p);
    const bh = benjaminiHochbergAdjust(c.p);
    for (let i = 0; i < c.p.length; i++) {
      expectClose(holm[i]!, c.holm[i]!, 1e-14, `holm[${i}]`);
      expectClose(bh[i]!, c.bh[i]!, 1e-14, `bh[${i}]`);
    }
  });

  it("never lowers a p-value, keeps the order of the raw p-values, and Holm ≥ BH", () => {
    // p-values on a grid of 1e-6 (ties included) keep m·p/j exact enough to compare with ≥.
    const p01 = fc.integer({ min: 0, max: 1_000_000 }).map((k) => k / 1_000_000);
    const ps = fc.array(p01, { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(ps, (p) => {
        const holm = holmAdjust(p);
        const bh = benjaminiHochbergAdjust(p);
        for (let i = 0; i < p.length; i++) {
          expect(bh[i]).toBeGreaterThanOrEqual(p[i]!);
          expect(holm[i]).toBeGreaterThanOrEqual(bh[i]!);
          expect(holm[i]).toBeLessThanOrEqual(1);
          for (let j = 0; j < p.length; j++) {
            if (p[i]! < p[j]!) {
              expect(holm[i]).toBeLessThanOrEqual(holm[j]!);
              expect(bh[i]).toBeLessThanOrEqual(bh[j]!);
            }
          }
        }
      }),
    );
  });

  it("rejects an empty family and p-values outside [0, 1]", () => {
    expect(() => holmAdjust([])).toThrow("pValues: must not be empty");
    expect(() => benjaminiHochbergAdjust([0.1, 1.2])).toThrow(
      "pValues[1]: must lie in [0, 1], got 1.2",
    );
  });
});
