import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dataSeries } from "../test-support/data-series.js";
import { GarchInputError } from "./errors.js";
import { fit, type GarchFit } from "./fit.js";
import { checkSeries, checkSpec } from "./spec.js";
import type { GarchOptions } from "./types.js";

const dem = dataSeries("dem2gbp.csv");
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    if (error instanceof GarchInputError) return error;
  }
  throw new Error("expected a GarchInputError");
};

/** Every figure of `scaled` (a fit of the series times `c`) against `base` mapped by `c`. */
function expectScaledBy(scaled: GarchFit, base: GarchFit, c: number, digits: number) {
  const close = (x: number, y: number) => {
    if (Number.isNaN(y)) expect(x).toBeNaN();
    else expect(x).toBeCloseTo(y, digits);
  };
  const rel = (x: number, y: number, unit: number) => close(x / unit, y);
  rel(scaled.params.mu!, base.params.mu!, c);
  rel(scaled.params.omega, base.params.omega, c * c);
  for (const key of ["alpha", "beta"] as const) {
    scaled.params[key].forEach((a, i) => {
      close(a, base.params[key][i]!);
    });
  }
  if (base.params.nu !== undefined) close(scaled.params.nu!, base.params.nu);
  rel(scaled.stdErrors.robust.mu!, base.stdErrors.robust.mu!, c);
  rel(scaled.stdErrors.robust.omega, base.stdErrors.robust.omega, c * c);
  close(scaled.logLikelihood + scaled.nobs * Math.log(c), base.logLikelihood);
  close(scaled.aic - base.aic, 2 * scaled.nobs * Math.log(c));
  const [h, hb] = [scaled.conditionalVariance, base.conditionalVariance];
  for (const t of [0, 1, Math.floor(h.length / 2), h.length - 1]) rel(h[t]!, hb[t]!, c * c);
  expect(scaled.forecast(3).variance.map((v) => v / (c * c))).toEqual(
    base.forecast(3).variance.map((v) => expect.closeTo(v, digits)),
  );
  expect(scaled.converged).toBe(base.converged);
}

describe("a fit in any unit", () => {
  const base = fit(dem);

  it("fits returns far from unit scale in the same unit: times any power of two, the same fit to the last bit", () => {
    // dem2gbp's standard deviation is near 2^-1: times 2^k beyond 2^±21 it is fitted rescaled.
    const far = fc.oneof(fc.integer({ min: -480, max: -22 }), fc.integer({ min: 22, max: 480 }));
    const reference = 2 ** 100;
    const fitted = fit(dem.map((v) => v * reference));
    fc.assert(
      fc.property(far, (k) => {
        const c = 2 ** k;
        const scaled = fit(dem.map((v) => v * c));
        expect(scaled.params.alpha).toEqual(fitted.params.alpha);
        expect(scaled.params.beta).toEqual(fitted.params.beta);
        expect(scaled.params.mu! / c).toBe(fitted.params.mu! / reference);
        expect(scaled.params.omega / (c * c)).toBe(fitted.params.omega / (reference * reference));
        expect(scaled.iterations).toBe(fitted.iterations);
        expectScaledBy(scaled, base, c, 9);
      }),
      { numRuns: 12 },
    );
  });

  it("fits returns near unit scale as they are", () => {
    for (const k of [-21, -5, 5, 21]) {
      const c = 2 ** k;
      expectScaledBy(fit(dem.map((v) => v * c)), base, c, 9);
    }
  });

  it.each([1e-140, 1e-90, 1e-40, 1e-3, 100, 1e50, 1e90, 1e140])(
    "converges to the same estimate for returns times %d",
    (c) => {
      expectScaledBy(fit(dem.map((v) => v * c)), base, c, 6);
    },
  );

  it("maps t innovations, an AR mean, a fixed start and parameters on a bound back", () => {
    const options: GarchOptions = { dist: "t", mean: { kind: "ar", lags: 1 }, init: 0.2 };
    const c = 1e120;
    const scaledOptions = { ...options, init: 0.2 * c * c };
    const unscaled = fit(dem, options);
    const scaled = fit(
      dem.map((v) => v * c),
      scaledOptions,
    );
    expectScaledBy(scaled, unscaled, c, 6);
    expect(scaled.params.ar![0]).toBeCloseTo(unscaled.params.ar![0]!, 6);
    // An ARCH(2) term held at 0 stays a bound of 0, whatever the unit.
    const p2 = fit(dem, { p: 2 });
    const p2Scaled = fit(
      dem.map((v) => v * c),
      { p: 2 },
    );
    expect(p2Scaled.activeConstraints).toEqual(p2.activeConstraints);
    // Its largest entry, in each parameter's own unit: mu's and omega's shrink with a larger one.
    expect(p2Scaled.projectedGradient).toBeLessThanOrEqual(p2.projectedGradient);
  });
});

describe("returns outside the range a variance can be held in", () => {
  it.each([
    [1e-160, /standard deviation of 4\.\d\de-161: it must be between 2\^-500 and 2\^500/],
    [1e160, /standard deviation of 4\.\d\de\+159/],
    [1e300, /rescale the series/],
  ])("are refused with the rule, times %d", (c, message) => {
    const error = errorOf(() => fit(dem.map((v) => v * c)));
    expect(error.code).toBe("OUT_OF_RANGE");
    expect(error.message).toMatch(message);
    expect(() =>
      checkSeries(
        dem.map((v) => v * c),
        checkSpec({}),
      ),
    ).toThrow(error.message);
  });

  it("whatever the series' largest value, as long as its spread fits", () => {
    // Prices rather than returns: a level of 1e140 and a spread near 1e136.
    const prices = dem.map((v) => 1e140 + v * 1e137);
    const f = fit(prices);
    expect((f.params.mu! - 1e140) / 1e137).toBeCloseTo(fit(dem).params.mu!, 8);
    expect(f.params.alpha[0]).toBeCloseTo(fit(dem).params.alpha[0]!, 6);
  });

  it("and a fixed pre-sample variance that no double holds in the series' unit", () => {
    const error = errorOf(() =>
      fit(
        dem.map((v) => v * 1e-140),
        { init: 1e300 },
      ),
    );
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toMatch(/^init 1e\+300 is out of range for returns/);
  });
});
