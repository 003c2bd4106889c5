/**
 * The line searches along a constrained Newton step, on a one-parameter function whose slope
 * turns within a small fraction of the step: f(x) = -|x - 0.3|^1.05, as the GED log-likelihood
 * in the mean near a kink (nu = 1.05). A curvature of 0.1 puts the Newton step from 0 near 10,
 * thirty times past the maximum.
 */
import { describe, expect, it } from "vitest";
import { FREE, type Step } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { bracketSearch, lineSearch } from "./line-search.js";

const free: Constraints = {
  k: 1,
  lower: Float64Array.of(Number.NEGATIVE_INFINITY),
  upper: Float64Array.of(Number.POSITIVE_INFINITY),
  from: 1,
  to: 1,
  maxPersistence: Number.POSITIVE_INFINITY,
};
const f = (x: number) => -(Math.abs(x - 0.3) ** 1.05);
const slope = (x: number) => -1.05 * Math.sign(x - 0.3) * Math.abs(x - 0.3) ** 0.05;
const g0 = slope(0);
const step: Step = {
  d: Float64Array.of(g0 / 0.1),
  decrement: (g0 * g0) / 0.1,
  regularised: false,
  held: Uint8Array.of(FREE),
  onPersistence: false,
};

/** `bracketSearch` along `step` from 0, and the last point it evaluated. */
function searched() {
  let x = Number.NaN;
  const accepted = bracketSearch(
    free,
    Float64Array.of(0),
    f(0),
    step,
    30,
    (next) => {
      x = next[0]!;
      return f(x);
    },
    () => slope(x) * step.d[0]!,
  );
  return { accepted, lastX: x };
}

describe("bracketSearch", () => {
  it("lands near the maximum of a step that overshoots it thirtyfold", () => {
    const { accepted, lastX: x } = searched();
    expect(accepted).not.toBeNull();
    // The slope there is not small (it is still a tenth of the slope at 0 within 1e-20 of the
    // maximum): the search ends once its bracket is within 1e-4 of the step, at its best trial.
    const at = accepted!.theta[0]!;
    expect(accepted!.logLikelihood).toBe(f(at));
    expect(accepted!.last).toBe(x === at);
    expect(Math.abs(at - 0.3)).toBeLessThan(1e-4 * step.d[0]!);
  });

  it("gains far more than halving the step does", () => {
    const halved = lineSearch(free, Float64Array.of(0), f(0), step, 30, (next) => f(next[0]!));
    const bracketed = searched().accepted;
    expect(halved).not.toBeNull();
    expect(f(0.3) - bracketed!.logLikelihood).toBeLessThan(1e-2 * (f(0.3) - halved!.logLikelihood));
  });
});
