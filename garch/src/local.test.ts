/**
 * The weak-ARCH starts of the general path (local.ts, `finishWithWeakArch`) run together and
 * each alone; the first start alone takes the same path as the group's first run wherever
 * that run was not stopped early, and is not run twice.
 */
import { describe, expect, it } from "vitest";
import { fit } from "./fit.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";

describe("weak-ARCH starts of the general path", () => {
  it("run the first start once when the group's run from it was not stopped early", () => {
    // t innovations, 5,000 returns (first fitted on a leading block, so the group's runs know
    // no optimum and the first is never stopped early), alpha 0.03: the weak-ARCH starts run.
    const spec = checkSpec({ dist: "t" });
    const truth = { mu: 0, omega: 0.01, alpha: [0.03], beta: [0.96], nu: 8 };
    const x = simulate(spec, truth, 5000, { seed: 2 }).returns;
    const f = fit(x, { dist: "t" });
    expect(f.converged).toBe(true);
    expect(f.params.alpha[0]!).toBeLessThan(0.05);
    // 103 with the first start's run repeated, the same estimate.
    expect(f.iterations).toBe(89);
    expect(Math.abs(f.logLikelihood + 6979.613745412566)).toBeLessThan(1e-9 * 6979.6);
  });
});
