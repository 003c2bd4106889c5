import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LatencyHistogram, RELATIVE_ERROR } from "./latency-histogram.js";

/** The exact nearest-rank quantile of `xs`. */
function exact(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe("LatencyHistogram", () => {
  it("reports every quantile within 1 % of the exact one, and the exact mean, min and max", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), {
          minLength: 1,
          maxLength: 500,
        }),
        fc.constantFrom(0.5, 0.95, 0.99, 1),
        (xs, q) => {
          const h = new LatencyHistogram();
          for (const x of xs) h.record(x);
          const want = exact(xs, q);
          expect(Math.abs(h.quantile(q) - want)).toBeLessThanOrEqual(want * RELATIVE_ERROR);
          expect(h.count).toBe(xs.length);
          expect(h.mean).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 6);
          expect(h.min).toBe(Math.min(...xs));
          expect(h.max).toBe(Math.max(...xs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reports zeros when empty", () => {
    const h = new LatencyHistogram();
    expect([h.count, h.mean, h.min, h.max, h.quantile(0.99)]).toEqual([0, 0, 0, 0, 0]);
  });
});
