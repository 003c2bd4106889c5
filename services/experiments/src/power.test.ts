import { describe, expect, it } from "vitest";
import { expectClose, R } from "../test-support/r-reference.js";
import {
  mdeMeans,
  mdeProportions,
  powerProportions,
  sampleSizeMeans,
  sampleSizeProportions,
} from "./power.js";

describe("proportions: R power.prop.test (strict = FALSE)", () => {
  it.each(R.powerProportions.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const opts = { alpha: c.alpha, power: c.power };
    const n = sampleSizeProportions(c.p1, c.p2, opts);
    expectClose(n.exact, c.n, 1e-9, "n");
    expect(n.perArm).toBe(Math.ceil(c.n));
    expectClose(powerProportions(1000, c.p1, c.p2, c.alpha), c.powerAtN, 1e-12, "power");
    expectClose(mdeProportions(1000, c.p1, opts)!, c.p2AtN, 1e-9, "p2");
  });

  it("reports no detectable rate when even p2 → 1 falls short of the power", () => {
    expect(mdeProportions(3, 0.5, { power: 0.99 })).toBeNull();
  });
});

describe("means: the normal-approximation formula, next to R power.t.test", () => {
  it.each(R.powerMeans.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const opts = { alpha: c.alpha, power: c.power };
    const n = sampleSizeMeans(c.delta, c.sd, opts);
    expectClose(n.exact, c.n, 1e-12, "n");
    // The noncentral t of power.t.test asks for one to two more observations per arm.
    expect(c.nPowerTTest - n.exact).toBeGreaterThan(0);
    expect(c.nPowerTTest - n.exact).toBeLessThan(2);
    expectClose(mdeMeans(700, 900, c.sd, 1.5 * c.sd, opts), c.mde, 1e-12, "mde");
  });

  it("is consistent: the MDE at the planned n per arm is the planned effect", () => {
    const n = sampleSizeMeans(0.25, 2, { alpha: 0.01, power: 0.9 });
    expect(mdeMeans(n.exact, n.exact, 2, 2, { alpha: 0.01, power: 0.9 })).toBeCloseTo(0.25, 12);
  });

  it("rejects impossible plans, naming the argument and the rule", () => {
    expect(() => sampleSizeMeans(0, 1)).toThrow("delta: must be > 0, got 0");
    expect(() => sampleSizeMeans(1, -1)).toThrow("sd: must be > 0, got -1");
    expect(() => sampleSizeProportions(0.5, 0.5)).toThrow("|p2 − p1|: must be > 0, got 0");
    expect(() => sampleSizeProportions(1, 0.5)).toThrow("p1: must lie in (0, 1), got 1");
    expect(() => sampleSizeMeans(1, 1, { power: 1 })).toThrow("opts.power: must lie in (0, 1)");
    expect(() => mdeMeans(0, 10, 1, 1)).toThrow("nA: must be > 0, got 0");
  });
});
