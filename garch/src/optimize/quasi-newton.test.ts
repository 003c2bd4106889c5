/**
 * The quasi-Newton stage (quasi-newton.ts) where its curvature estimate B is not positive
 * definite: every step is then damped, and the decrement test never applies.
 */
import { describe, expect, it } from "vitest";
import { fit } from "../fit.js";
import { buildModel } from "../likelihood.js";
import { fromParams } from "../params.js";
import { simulate } from "../simulate.js";
import { checkSpec } from "../spec.js";
import { constraintsOf } from "./constraints.js";
import { opgAt } from "./hessian.js";
import { quasiNewtonStage } from "./quasi-newton.js";

describe("a quasi-Newton run whose curvature estimate is singular", () => {
  it("ends once its damped steps gain nothing beyond rounding, not at the iteration cap", () => {
    const spec = checkSpec({ dist: "t" });
    const truth = { mu: 0, omega: 0.05, alpha: [0.1], beta: [0.85], nu: 6 };
    const x = simulate(spec, truth, 2000, { seed: 3 }).returns;
    const optimum = fit(x, { dist: "t" });
    expect(optimum.converged).toBe(true);
    const model = buildModel(x, spec);
    const theta = fromParams(spec, optimum.params);
    // The outer product of the scores at the optimum, with omega's row and column made a
    // multiple of beta's: singular, as where omega and beta move h alike.
    const k = model.layout.k;
    const b = opgAt(model, theta);
    const { omega, beta } = model.layout;
    for (let j = 0; j < k; j++) b[omega * k + j] = 0.5 * b[beta * k + j]!;
    for (let j = 0; j < k; j++) b[j * k + omega] = 0.5 * b[j * k + beta]!;
    b[omega * k + omega] = 0.25 * b[beta * k + beta]!;
    const run = quasiNewtonStage(model, constraintsOf(model), theta, 200, {
      tol: 1e-5,
      curvature: b,
    });
    // Before: 200 damped steps, each within rounding of the optimum, to the cap.
    expect(run.iterations).toBe(10);
    expect(run.end).toBe("converged");
    expect(Math.abs(run.logLikelihood - optimum.logLikelihood)).toBeLessThan(1e-9);
  });
});
