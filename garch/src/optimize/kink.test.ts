/**
 * Ends beside a kink of the GED log-likelihood in the mean (kink.ts, `dominantKinks` and
 * `besideKink`): local estimation can converge with the mean a hair from an observation, where
 * the Hessian's curvature in the mean is that observation's kink's, not the sample's.
 */
import { describe, expect, it } from "vitest";
import { buildModel, type Model } from "../likelihood.js";
import { localEstimate } from "../local.js";
import { fromParams } from "../params.js";
import { inUnits } from "../scale.js";
import { simulate } from "../simulate.js";
import { checkSeriesUnit, checkSpec } from "../spec.js";
import type { GarchOptions } from "../types.js";
import { AT_LOWER } from "./active-set.js";
import { constraintsOf } from "./constraints.js";
import { opgAt } from "./hessian.js";
import { besideKink, dominantKinks } from "./kink.js";
import type { Estimate } from "./result.js";

const GED: GarchOptions = { dist: "ged" };
const TRUTH = { mu: 0, omega: 0.04, alpha: [0.09], beta: [0.88] };

/** A GARCH(1,1)-GED series with a constant mean, simulated with shape nu. */
function series(nu: number, seed: number, n: number): Float64Array {
  return simulate(checkSpec(GED), { ...TRUTH, nu }, n, { seed }).returns;
}

/** The model `fit` builds for `x` (in its unit), and the end local estimation reaches on it. */
function endOf(x: Float64Array, options: GarchOptions = GED): { model: Model; end: Estimate } {
  const spec = checkSpec(options);
  const { x: r, unit } = checkSeriesUnit(x, spec);
  const model = buildModel(inUnits(r, unit), spec);
  return { model, end: localEstimate(model, constraintsOf(model), 200) };
}

describe("an end that converged beside a kink (nu 0.92, seed 1019, n = 2000)", () => {
  const { model, end } = endOf(series(0.92, 1019, 2000));

  it("passed the decrement test with the mean 2e-8 standard deviations from r[1101]", () => {
    expect(end.converged, end.message).toBe(true);
    expect(end.onKink).toBeFalsy();
    expect(end.message).toMatch(/^converged: constrained Newton decrement/);
    // The Hessian's differences straddle r[1101]'s cusp: its curvature in the mean is thousands
    // of times the information the scores carry (its standard error 55 times too small).
    expect(-end.hessian![0]! / opgAt(model, end.theta)[0]!).toBeGreaterThan(1000);
    const kinks = dominantKinks(model, end.theta);
    expect(kinks?.observations).toEqual([1101]);
    expect(kinks!.ratio).toBeGreaterThan(1000);
  });

  it("is taken as on the kink, where it is, with the mean held for the standard errors", () => {
    const beside = besideKink(model, end)!;
    expect(beside.onKink).toBe(true);
    expect(beside.converged).toBe(true);
    expect(beside.theta).toEqual(end.theta);
    expect(beside.logLikelihood).toBe(end.logLikelihood);
    expect(beside.hessian).toBe(end.hessian);
    expect(Array.from(beside.held)).toEqual([AT_LOWER, ...Array.from(end.held.subarray(1))]);
    expect(beside.message).toMatch(
      /^converged beside a kink: the mean leaves a standardised residual of \d\.\de-8 at r\[1101\], where the GED log-likelihood with nu < 1 has a cusp in the mean, and the Hessian's curvature in the mean is that observation's, \S+ times the other observations' \(no Hessian or robust standard error for the mean, the others' are those of the model with it held\); constrained Newton decrement \S+$/,
    );
  });

  it("is not taken again once on a kink, nor where it did not converge", () => {
    const beside = besideKink(model, end)!;
    expect(besideKink(model, beside)).toBeNull();
    expect(besideKink(model, { ...end, converged: false })).toBeNull();
  });
});

describe("ends away from every kink", () => {
  it.each<[number, number]>([
    // The nearest observations' kinks give the mean's axis 0.5 % and 1.6 % of the others'
    // curvature: the means are 1e-3 and 2e-4 standard deviations from them (nu = 1.31, 1.60).
    [1.1, 11],
    [1.5, 1],
  ])("are left as they are (nu %d, seed %d, n = 1000)", (nu, seed) => {
    const { model, end } = endOf(series(nu, seed, 1000));
    expect(end.converged, end.message).toBe(true);
    expect(dominantKinks(model, end.theta)).toBeNull();
    expect(besideKink(model, end)).toBeNull();
  });

  it("have none where the log-likelihood has no kink in the mean", () => {
    const x = series(1, 3, 500);
    const params = { ...TRUTH, mu: x[200]!, nu: 1 };
    for (const options of [
      { dist: "normal" },
      { dist: "t" },
      { dist: "ged", mean: "zero" },
    ] satisfies GarchOptions[]) {
      const spec = checkSpec(options);
      const model = buildModel(x, spec);
      expect(dominantKinks(model, fromParams(spec, { ...params, nu: 8 }))).toBeNull();
    }
    // GED with nu >= 2: the curvature of |z|^nu is bounded at z = 0.
    const spec = checkSpec(GED);
    expect(dominantKinks(buildModel(x, spec), fromParams(spec, { ...params, nu: 2 }))).toBeNull();
    // The same mean, exactly on r[200], with nu = 1.2: the kink there dominates.
    expect(
      dominantKinks(buildModel(x, spec), fromParams(spec, { ...params, nu: 1.2 }))?.observations,
    ).toEqual([200]);
  });
});
