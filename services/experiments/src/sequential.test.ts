import { describe, expect, it } from "vitest";
import { expectClose, R } from "../test-support/r-reference.js";
import { msprt, msprtMeans, msprtPath, msprtProportions } from "./sequential.js";

describe("mSPRT likelihood ratio against the paper's equal-arm formulas (computed in R)", () => {
  it.each(R.msprtMeans.map((c, i) => [i, c] as const))("means, case %i", (_, c) => {
    // Known per-observation variance σ² in both arms of n: V = 2σ²/n.
    const look = msprt({ diff: c.diff, variance: (2 * c.sigma2) / c.n }, { tau2: c.tau2 });
    expectClose(look.logLikelihoodRatio, c.logLambda, 1e-10, "log Λ");
    expectClose(look.pValue, Math.min(1, Math.exp(-c.logLambda)), 1e-10, "p");
  });

  it.each(R.msprtBernoulli.map((c, i) => [i, c] as const))("proportions, case %i", (_, c) => {
    const look = msprtProportions(
      { successes: c.pa * c.n, trials: c.n },
      { successes: c.pb * c.n, trials: c.n },
      { tau2: c.tau2 },
    );
    expectClose(look.logLikelihoodRatio, c.logLambda, 1e-10, "log Λ");
  });
});

describe("always-valid p-values and confidence sequences", () => {
  it("the confidence sequence is exactly where Λ(θ₀) = 1/α", () => {
    const estimate = { diff: 0.03, variance: 1e-4 };
    const opts = { tau2: 4e-4, alpha: 0.05 };
    const look = msprt(estimate, opts);
    for (const edge of look.ci) {
      const atEdge = msprt(estimate, { ...opts, theta0: edge });
      expect(atEdge.logLikelihoodRatio).toBeCloseTo(Math.log(1 / 0.05), 9);
    }
    // 0 is outside the band exactly when this look alone rejects.
    expect(look.ci[0] > 0).toBe(Math.exp(-look.logLikelihoodRatio) <= 0.05);
  });

  it("carries the running minimum so the p-value never rises between looks", () => {
    const looks = msprtPath(
      [
        { diff: 0.05, variance: 1e-4 },
        { diff: 0.0, variance: 5e-5 },
        { diff: 0.01, variance: 2e-5 },
      ],
      { tau2: 1e-3 },
    );
    expect(looks[0]!.pValue).toBeLessThan(0.05);
    expect(looks[1]!.pValue).toBe(looks[0]!.pValue);
    expect(looks[2]!.pValue).toBe(looks[0]!.pValue);
    expect(looks.every((l) => l.rejected)).toBe(true);
  });

  it("derives τ² from the arms' variances by default and accepts an explicit one", () => {
    const a = { n: 1000, mean: 10, variance: 4 };
    const b = { n: 1000, mean: 10.3, variance: 5 };
    expect(msprtMeans(a, b).tau2).toBeCloseTo(0.01 * 4.5, 15);
    expect(msprtMeans(a, b, { tau2: 0.2 }).tau2).toBe(0.2);
    expect(msprtMeans(a, b).diff).toBeCloseTo(0.3, 12);
  });

  it("rejects inputs it cannot test, naming the argument", () => {
    const arm = { n: 10, mean: 1, variance: 0 };
    expect(() => msprtMeans(arm, arm)).toThrow("a, b: must not both have zero variance");
    expect(() => msprt({ diff: 0, variance: 1 }, { tau2: 0 })).toThrow(
      "opts.tau2: must be > 0, got 0",
    );
    expect(() => msprt({ diff: 0, variance: 1 }, { tau2: 1, previousPValue: 2 })).toThrow(
      "opts.previousPValue: must lie in [0, 1], got 2",
    );
    expect(() =>
      msprtProportions({ successes: 3, trials: 2 }, { successes: 1, trials: 2 }),
    ).toThrow("a.successes: must not exceed a.trials (2), got 3");
  });
});
