/**
 * Parameter recovery: fit long simulated series and check that the estimates land within
 * 3 standard errors (inverse Hessian) of the truth. With 4–6 parameters per model a true
 * 3-sigma band fails by chance about 1.5 % of the time per model (25 seeds per model, run by
 * hand, failed 0–1 times each, with standardised errors of mean about 0 and variance about 1).
 * The seeds are fixed, so the outcome is deterministic and a failure means the fit or the
 * simulation is off. The skew-t and GED cases also check that `sampling.ts` draws from the
 * densities the likelihood uses.
 */
import { describe, expect, it } from "vitest";
import { fit } from "./fit.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";
import type { DistName, GarchParams, ParamStat } from "./types.js";

/** (name, estimate, standard error, truth) for every scalar parameter. */
function entries(
  est: GarchParams,
  se: ParamStat,
  truth: GarchParams,
): [string, number, number, number][] {
  const out: [string, number, number, number][] = [];
  for (const key of ["mu", "omega", "nu", "lambda"] as const) {
    const t = truth[key];
    if (t !== undefined) out.push([key, est[key] as number, se[key] as number, t]);
  }
  for (const key of ["alpha", "beta"] as const) {
    truth[key].forEach((t, i) => {
      out.push([`${key}[${i + 1}]`, est[key][i]!, se[key]![i]!, t]);
    });
  }
  return out;
}

describe("parameter recovery on simulated GARCH(1,1), n = 5000", () => {
  it.each<[DistName, GarchParams, number]>([
    ["normal", { mu: 0.03, omega: 0.05, alpha: [0.1], beta: [0.85] }, 101],
    ["t", { mu: 0.03, omega: 0.05, alpha: [0.1], beta: [0.85], nu: 6 }, 202],
    ["skewt", { mu: 0.03, omega: 0.05, alpha: [0.1], beta: [0.85], nu: 6, lambda: -0.3 }, 303],
    ["ged", { mu: 0.03, omega: 0.05, alpha: [0.1], beta: [0.85], nu: 1.3 }, 404],
  ])(
    "%s innovations: every estimate within 3 Hessian standard errors of the truth",
    (dist, truth, seed) => {
      const spec = checkSpec({ dist });
      const { returns } = simulate(spec, truth, 5000, { seed });
      const fitted = fit(returns, { dist });
      expect(fitted.converged).toBe(true);
      for (const [name, est, se, t] of entries(fitted.params, fitted.stdErrors.hessian, truth)) {
        expect(se, `${name}: standard error`).toBeGreaterThan(0);
        expect(Math.abs(est - t), `${name}: ${est} vs truth ${t} (se ${se})`).toBeLessThan(3 * se);
      }
    },
  );
});
