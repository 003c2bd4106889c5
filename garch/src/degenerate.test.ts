import { describe, expect, it } from "vitest";
import { COVARIANCE_KINDS } from "./covariance.js";
import { fit, GarchFit } from "./fit.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";

/** GARCH(1,1)-t returns (nu = 6) with observations 300 to 449 set to exact zeros (stale prices). */
function withZeroRun(seed: number) {
  const spec = checkSpec({ dist: "t", mean: "zero" });
  const x = simulate(spec, { omega: 0.05, alpha: [0.08], beta: [0.9], nu: 6 }, 1000, {
    seed,
  }).returns;
  const zeros = Float64Array.from(x);
  zeros.fill(0, 300, 450);
  return { plain: x, zeros };
}

const smallest = (h: Float64Array) => h.reduce((m, v) => Math.min(m, v), Number.POSITIVE_INFINITY);

describe("degenerate fits on runs of exact zeros", () => {
  const { plain, zeros } = withZeroRun(11);

  it.each([
    ["t", "zero"],
    ["ged", "zero"],
    ["skewt", "constant"],
  ] as const)("%s with a %s mean is reported not converged, naming the collapse", (dist, mean) => {
    const f = fit(zeros, { dist, mean });
    // The maximum it reaches: omega on its floor, the variance about 1e-10 of its mean square.
    expect(smallest(f.conditionalVariance)).toBeLessThan(1e-8);
    expect(f.converged).toBe(false);
    expect(f.message).toMatch(
      /^not converged: degenerate estimate, the conditional variance falls to \S+ of the residuals' mean square \(at observation \d+; the series has 150 exact zeros\)/,
    );
  });

  it.each([
    ["t", "zero"],
    ["skewt", "constant"],
  ] as const)(
    "%s with a %s mean has no standard errors, t-statistics or p-values",
    (dist, mean) => {
      const f = fit(zeros, { dist, mean });
      // Before, they were those of the collapse: a robust standard error of mu of 4e-7.
      for (const kind of COVARIANCE_KINDS) {
        for (const stat of [f.stdErrors[kind], f.tStats[kind], f.pValues[kind]]) {
          expect(Object.values(stat).flat()).toEqual(f.paramNames.map(() => Number.NaN));
        }
      }
      expect(f.message).toMatch(
        /; no standard errors, t-statistics or p-values: at a degenerate estimate the curvature is that of the variance's collapse/,
      );
      expect(f.message).not.toMatch(/the others' are those of the model with it held/);
      const json = JSON.parse(JSON.stringify(f));
      for (const kind of COVARIANCE_KINDS) {
        expect(Object.values(json.stdErrors[kind]).flat()).toEqual(f.paramNames.map(() => null));
      }
      expect(GarchFit.fromJSON(json).stdErrors).toEqual(f.stdErrors);
    },
  );

  it("leaves the same series without the zeros converged", () => {
    for (const dist of ["t", "ged", "skewt"] as const) {
      const f = fit(plain, { dist });
      expect(f.converged).toBe(true);
      expect(f.message).not.toMatch(/degenerate/);
      expect(f.stdErrors.robust.omega).toBeGreaterThan(0);
    }
  });

  it("leaves a Normal fit of the zero run alone: its likelihood is bounded", () => {
    // Normal innovations pay r^2 / (2 h) for the first return after the run, so h stays
    // about 1e-3 of the mean square there, far above the threshold.
    const f = fit(zeros, { dist: "normal", mean: "zero" });
    expect(f.converged).toBe(true);
    expect(f.message).not.toMatch(/degenerate/);
  });
});
