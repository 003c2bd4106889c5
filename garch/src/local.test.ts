/**
 * The weak-ARCH starts of the general path (local.ts, `finishWithWeakArch`) run together and
 * each alone; each start alone takes the same path as the group's run from it (seeded with the
 * curvature at its own start), so that run is reused, or where it was stopped early, goes on
 * from where it stopped: no path is run twice.
 */
import { describe, expect, it } from "vitest";
import { fit } from "./fit.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";

describe("weak-ARCH starts of the general path", () => {
  it("run each start's path once, going on from where the group's run stopped", () => {
    // t innovations, 5,000 returns (first fitted on a leading block, so the group's runs know
    // no optimum and the first is never stopped early), alpha 0.03: the weak-ARCH starts run.
    const spec = checkSpec({ dist: "t" });
    const truth = { mu: 0, omega: 0.01, alpha: [0.03], beta: [0.96], nu: 8 };
    const x = simulate(spec, truth, 5000, { seed: 2 }).returns;
    const f = fit(x, { dist: "t" });
    expect(f.converged).toBe(true);
    expect(f.params.alpha[0]!).toBeLessThan(0.05);
    // 103 with every start's run repeated, 89 with the first one's reused, the same estimate.
    expect(f.iterations).toBe(74);
    expect(Math.abs(f.logLikelihood + 6979.613745412566)).toBeLessThan(1e-9 * 6979.6);
  });
});
