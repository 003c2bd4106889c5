/**
 * Long GARCH(1,1)-Normal fits go by leading blocks, and Newton's steps there mostly take the
 * gradient-only pass with an estimated curvature (newton.ts). Whatever the steps, the estimate
 * must be an exact Newton fixed point of the whole sample: checked here on a model built afresh,
 * with the exact Hessian there, as are the fit's variances and log-likelihood.
 */
import { describe, expect, it } from "vitest";
import { fit } from "../fit.js";
import { buildModel, evaluateHessian } from "../likelihood.js";
import { cholesky, choleskySolve } from "../linalg.js";
import { fromParams } from "../params.js";
import { simulate } from "../simulate.js";
import { checkSeries, checkSpec } from "../spec.js";
import type { GarchOptions, GarchParams } from "../types.js";

const persistent: GarchParams = { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] };
const nearUnit: GarchParams = { mu: 0, omega: 0.01, alpha: [0.03], beta: [0.966] };

describe("long GARCH(1,1) fits (leading blocks, quasi-Newton steps)", () => {
  it.each<[number, GarchParams, number, GarchOptions]>([
    [12_000, persistent, 1, {}],
    [12_000, nearUnit, 2, { mean: "zero" }],
    [30_000, persistent, 3, { init: "ewma" }],
    [30_000, nearUnit, 4, {}],
  ])(
    "n = %i: ends at the exact Newton optimum of the whole sample (case %#)",
    (n, truth, seed, options) => {
      const x = simulate(checkSpec({}), truth, n, { seed }).returns;
      const f = fit(x, options);
      expect(f.converged).toBe(true);
      expect(f.activeConstraints).toEqual([]);
      const spec = checkSpec(options);
      const model = buildModel(checkSeries(x, spec), spec);
      const theta = fromParams(spec, f.params);
      const k = theta.length;
      const grad = new Float64Array(k);
      const hess = new Float64Array(k * k);
      const ll = evaluateHessian(model, theta, grad, hess);
      expect(Math.abs(ll - f.logLikelihood)).toBeLessThan(1e-12 * Math.abs(ll));
      // The Newton decrement g'(-H)^{-1} g at the estimate: at rounding level, far below the
      // convergence criterion (1e-7), since the last step is judged on the exact Hessian.
      const chol = cholesky(
        hess.map((v) => -v),
        k,
      );
      expect(chol).not.toBeNull();
      const d = choleskySolve(chol!, k, grad);
      let decrement = 0;
      for (let i = 0; i < k; i++) decrement += grad[i]! * d[i]!;
      expect(decrement).toBeLessThan(1e-13 * Math.abs(ll));
      // The fit's variances are those of its estimate (the last pass wrote them).
      const h = f.conditionalVariance;
      let worst = 0;
      for (let t = 0; t < n; t++)
        worst = Math.max(worst, Math.abs(h[t]! - model.h[t]!) / model.h[t]!);
      expect(worst).toBeLessThan(1e-14);
    },
  );
});

describe("weak-ARCH starts on a long near-unit-persistence series", () => {
  it("run by Newton to their end instead of handing the fit to the general path", () => {
    // alpha 0.02 with persistence 0.999: the fit's alpha is below WEAK_ARCH (start.ts), so the
    // weak-ARCH starts run on all 20,000 returns, thousands of units below the optimum. Their
    // Newton runs gain hundreds of units a step while the decrement falls by less than half;
    // counted as stalls, they stopped and the general path refitted the series (116
    // iterations). Counted as productive, the fit takes 18; 13 since a run stops once it heads
    // within half a standard error of the optimum found (0.1 before: early-stop.ts).
    const truth: GarchParams = { mu: 0, omega: 0.01, alpha: [0.02], beta: [0.979] };
    const x = simulate(checkSpec({}), truth, 20_000, { seed: 2 }).returns;
    const f = fit(x, { init: "ewma" });
    expect(f.converged).toBe(true);
    expect(f.iterations).toBe(13);
    expect(f.params.alpha[0]!).toBeLessThan(0.05);
    // The optimum the general path reached before.
    expect(Math.abs(f.logLikelihood + 49593.61151610457)).toBeLessThan(1e-9 * 49593.6);
  });
});
