import { Random } from "@mlops/garch/random";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { liftPath, type TimedValue } from "./lift-path.js";
import { momentsOf, summarize } from "./moments.js";
import { msprtMeans } from "./sequential.js";

/** `n` 0/1 values with success rate `p`, one per ms from `t0`, every `step` ms. */
function bernoulli(n: number, p: number, seed: number, t0: number, step: number): TimedValue[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => ({
    t: t0 + i * step,
    x: rng.nextFloat() < p ? 1 : 0,
  }));
}

describe("liftPath", () => {
  it("ends at the full-data look, equal to the decision's mSPRT with the same τ²", () => {
    const control = bernoulli(800, 0.7, 1, 0, 2);
    const treatment = bernoulli(800, 0.8, 2, 1, 2);
    const full = msprtMeans(
      summarize(momentsOf(control.map((v) => v.x))),
      summarize(momentsOf(treatment.map((v) => v.x))),
    );
    const path = liftPath(control, treatment, { tau2: full.tau2, points: 40 });
    expect(path).toHaveLength(40);
    const last = path.at(-1)!;
    expect(last.observations).toBe(1600);
    expect([last.controlN, last.treatmentN]).toEqual([800, 800]);
    expect(last.diff).toBeCloseTo(full.diff, 12);
    expect(last.ci[0]).toBeCloseTo(full.ci[0], 10);
    expect(last.ci[1]).toBeCloseTo(full.ci[1], 10);
    // The path's p is the running minimum over its own looks, so never above the last look's 1/Λ.
    expect(last.pValue).toBeLessThanOrEqual(full.pValue);
  });

  it("scales each arm's variance by its design effect at every look", () => {
    const control = bernoulli(600, 0.7, 6, 0, 2);
    const treatment = bernoulli(600, 0.75, 7, 1, 2);
    const deff = { control: 3, treatment: 1.5 };
    const plain = liftPath(control, treatment, { tau2: 0.002, points: 12 });
    const scaled = liftPath(control, treatment, { tau2: 0.002, points: 12, designEffect: deff });
    expect(scaled).toHaveLength(plain.length);
    for (const [i, p] of scaled.entries()) {
      const a = summarize(momentsOf(control.slice(0, p.controlN).map((v) => v.x)));
      const b = summarize(momentsOf(treatment.slice(0, p.treatmentN).map((v) => v.x)));
      // msprtMeans reads variance / n per arm: the design effect multiplies the variance.
      const look = msprtMeans(
        { ...a, variance: deff.control * a.variance },
        { ...b, variance: deff.treatment * b.variance },
        { tau2: 0.002 },
      );
      expect(p.diff).toBe(plain[i]!.diff);
      expect(p.ci[0]).toBeCloseTo(look.ci[0], 10);
      expect(p.ci[1]).toBeCloseTo(look.ci[1], 10);
      expect(p.ci[1] - p.ci[0]).toBeGreaterThan(plain[i]!.ci[1] - plain[i]!.ci[0]);
    }
    expect(() =>
      liftPath(control, treatment, { tau2: 1, designEffect: { control: -1, treatment: 1 } }),
    ).toThrow("opts.designEffect.control: must be ≥ 0, got -1");
  });

  it("merges the arms in time order: an early arm fills the first looks alone", () => {
    const control = bernoulli(100, 0.5, 3, 0, 1);
    const treatment = bernoulli(100, 0.5, 4, 1000, 1);
    const path = liftPath(control, treatment, { tau2: 0.01, points: 10 });
    // Until the treatment starts (after the 100 control values) no look has 2 in each arm.
    expect(path[0]!.controlN).toBe(100);
    expect(path.every((p) => p.controlN + p.treatmentN === p.observations)).toBe(true);
  });

  it("keeps counts increasing, p-values non-increasing and the estimate inside its band", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 0, maxLength: 80 }),
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 0, maxLength: 80 }),
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
        (xs, ys, points, tau2) => {
          const control = xs.map((x, i) => ({ t: 2 * i, x }));
          const treatment = ys.map((x, i) => ({ t: 2 * i + 1, x }));
          const path = liftPath(control, treatment, { tau2, points });
          expect(path.length).toBeLessThanOrEqual(points);
          for (const [i, p] of path.entries()) {
            expect(p.ci[0]).toBeLessThanOrEqual(p.diff);
            expect(p.diff).toBeLessThanOrEqual(p.ci[1]);
            expect(p.controlN).toBeGreaterThanOrEqual(2);
            expect(p.treatmentN).toBeGreaterThanOrEqual(2);
            if (i > 0) {
              expect(p.observations).toBeGreaterThan(path[i - 1]!.observations);
              expect(p.pValue).toBeLessThanOrEqual(path[i - 1]!.pValue);
            }
          }
        },
      ),
    );
  });

  it("names the field and the rule on bad input", () => {
    const ok = bernoulli(10, 0.5, 5, 0, 1);
    expect(() =>
      liftPath(
        ok,
        [
          { t: 5, x: 1 },
          { t: 4, x: 0 },
        ],
        { tau2: 1 },
      ),
    ).toThrow(
      "treatment[1].t: must not precede treatment[0].t (values come in time order), got 4 < 5",
    );
    expect(() => liftPath(ok, [{ t: 5, x: Number.NaN }], { tau2: 1 })).toThrow(
      "treatment[0].x: must be a finite number, got NaN",
    );
    expect(() => liftPath(ok, ok, { tau2: 0 })).toThrow("opts.tau2: must be > 0, got 0");
    expect(() => liftPath(ok, ok, { tau2: 1, points: 0 })).toThrow(
      "opts.points: must lie in [1, 1000], got 0",
    );
  });
});
