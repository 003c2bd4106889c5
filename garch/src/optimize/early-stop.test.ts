import { describe, expect, it } from "vitest";
import { headsTo, type Known, sameOptimum } from "./early-stop.js";

/** A known optimum with the identity as its curvature: distances are in standard errors. */
const known = (theta: number[]): Known => ({
  theta: Float64Array.from(theta),
  logLikelihood: 0,
  curvature: Float64Array.from([1, 0, 0, 1]),
});
const identity = Float64Array.from([1, 0, 0, 1]);

describe("headsTo: whether a run's Newton target is an optimum already found", () => {
  it("is within half a standard error of it in both metrics, and no further", () => {
    const at = known([0.5, 0.2]);
    expect(headsTo(at, [1, 0.6], [-0.3, -0.2], identity)).toBe(true);
    expect(headsTo(at, [1, 0.6], [0, 0], identity)).toBe(false);
    // The run's own curvature must agree: ten times as curved, the same gap is too far.
    expect(headsTo(at, [1, 0.6], [-0.3, -0.2], Float64Array.from([10, 0, 0, 10]))).toBe(false);
  });

  it("is not an optimum holding a coefficient at 0 while the run is off it and heading off it", () => {
    const onBound = known([0.5, 0]);
    // Close in the curvature's metric, but the bound's optimum and one beside it differ.
    expect(headsTo(onBound, [0.5, 0.02], [0, 0.01], identity)).toBe(false);
    // Heading onto the bound, or already on it, the run goes where the optimum is.
    expect(headsTo(onBound, [0.5, 0.02], [0, -0.02], identity)).toBe(true);
    expect(headsTo(onBound, [0.5, 0], [0.01, 0], identity)).toBe(true);
  });

  it("tells two optima apart the same way (sameOptimum)", () => {
    expect(sameOptimum(known([0.5, 0]), known([0.5, 0]))).toBe(true);
    expect(sameOptimum(known([0.5, 0]), known([0.5, 0.01]))).toBe(false);
    expect(sameOptimum(known([0.5, 0.2]), known([0.5, 0.21]))).toBe(true);
  });
});
