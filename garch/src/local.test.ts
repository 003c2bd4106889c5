/**
 * Local estimation (local.ts): the weak-ARCH starts of the general path, which ends of their
 * runs are finished, and the nested GARCH(1,1) of the global search, which is only a start.
 */
import { describe, expect, it } from "vitest";
import { fit } from "./fit.js";
import { buildModel } from "./likelihood.js";
import { distinctEnds, localEstimate } from "./local.js";
import { constraintsOf } from "./optimize/constraints.js";
import type { QuasiEnd } from "./optimize/quasi-newton.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";

describe("weak-ARCH starts of the general path", () => {
  // They run together and each alone; each start alone takes the same path as the group's run
  // from it (seeded with the curvature at its own start), so that run is reused, or where it
  // was stopped early, goes on from where it stopped: no path is run twice.
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

/** A converged quasi-Newton end at θ with log-likelihood `ll` and curvature `curvature` (k x k). */
function end(theta: number[], ll: number, curvature: number[], stage: QuasiEnd = "converged") {
  return {
    theta: Float64Array.from(theta),
    logLikelihood: ll,
    curvature: Float64Array.from(curvature),
    decrement: 1e-6,
    iterations: 5,
    end: stage,
  };
}

describe("distinctEnds: the ends of the weak-ARCH runs worth finishing", () => {
  const unit = [1, 0, 0, 1];

  it("finishes one of two converged ends at one point, the higher", () => {
    const low = end([0.5, 0.9], -100.0000002, unit);
    const high = end([0.5000001, 0.9000001], -100, unit);
    expect(distinctEnds([low, high, high])).toEqual([high]);
    // Of equals, the first.
    const twin = end([0.5000001, 0.9000001], -100, unit);
    expect(distinctEnds([high, twin])).toEqual([high]);
  });

  it("finishes both where the curvature is flat along the line between them (a ridge)", () => {
    // Within half a standard error in the metric, but beta 0 against 0.027: finishing them
    // reaches different points of the ridge.
    const ridge = [1, 0, 0, 1e-6];
    const a = end([1e-4, 0], 31803.81692734, ridge);
    const b = end([1e-4, 0.027], 31803.81692733, ridge);
    expect(distinctEnds([a, b])).toEqual([a, b]);
  });

  it("finishes every end that did not converge, and ends at different points", () => {
    const stopped = end([0.5, 0.9], -100.5, unit, "stopped");
    const here = end([0.5, 0.9], -100, unit);
    const there = end([0.2, 0.7], -101, unit);
    expect(distinctEnds([here, stopped, null, there])).toEqual([here, stopped, there]);
  });
});

describe("a nested GARCH(1,1) of the global search, only a start", () => {
  it("is the best run's converged end, unpolished, where it shows ARCH effects", () => {
    const spec = checkSpec({ dist: "t" });
    const truth = { mu: 0, omega: 0.05, alpha: [0.1], beta: [0.85], nu: 6 };
    const x = simulate(spec, truth, 2000, { seed: 3 }).returns;
    const model = buildModel(x, spec);
    const c = constraintsOf(model);
    const polished = localEstimate(model, c, 200);
    const start = localEstimate(model, c, 200, "start");
    expect(start.message).toBe("a start: quasi-Newton converged");
    expect(start.iterations).toBeLessThan(polished.iterations);
    // Within the quasi-Newton tolerance (a decrement of 1e-5) of the polished optimum.
    expect(polished.logLikelihood - start.logLikelihood).toBeGreaterThanOrEqual(0);
    expect(polished.logLikelihood - start.logLikelihood).toBeLessThan(1e-5);
  });

  it("is finished as the fit's estimate where it shows little ARCH effect", () => {
    const spec = checkSpec({ dist: "t" });
    const truth = { mu: 0, omega: 1, alpha: [0], beta: [0], nu: 8 };
    const x = simulate(spec, truth, 2000, { seed: 5 }).returns;
    const model = buildModel(x, spec);
    const c = constraintsOf(model);
    const start = localEstimate(model, c, 200, "start");
    expect(start.message).not.toMatch(/^a start/);
    expect(start.logLikelihood).toBe(localEstimate(model, c, 200).logLikelihood);
  });
});
