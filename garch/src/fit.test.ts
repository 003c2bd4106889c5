import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dataSeries } from "../test-support/data-series.js";
import { covariances, outerProduct } from "./covariance.js";
import { GarchInputError } from "./errors.js";
import { fit, GarchFit } from "./fit.js";
import { buildModel, evaluate, logLikelihood } from "./likelihood.js";
import { fromParams } from "./params.js";
import { Random } from "./random.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";
import type { CovarianceKind } from "./types.js";

const dem = dataSeries("dem2gbp.csv");
const fcp = JSON.parse(
  readFileSync(new URL("../data/fcp-benchmark.json", import.meta.url), "utf8"),
);
const lre = (x: number, ref: number) => -Math.log10(Math.abs(x - ref) / Math.abs(ref));

/** GARCH(1,1) with Normal innovations, drawn directly (independent of the estimator). */
function simulate11(
  n: number,
  mu: number,
  omega: number,
  alpha: number,
  beta: number,
  seed: number,
) {
  const rng = new Random(seed);
  const out: number[] = [];
  let h = omega / (1 - alpha - beta);
  let e2 = h;
  for (let t = 0; t < n + 500; t++) {
    h = omega + alpha * e2 + beta * h;
    const e = Math.sqrt(h) * rng.standardNormal();
    e2 = e * e;
    if (t >= 500) out.push(mu + e);
  }
  return out;
}

describe("FCP benchmark (dem2gbp, GARCH(1,1), constant mean, Normal, init fcp)", () => {
  const result = fit(dem, { init: "fcp" });
  const est = {
    mu: result.params.mu!,
    omega: result.params.omega,
    alpha1: result.params.alpha[0]!,
    beta1: result.params.beta[0]!,
  };

  it("estimates mu, alpha1, beta1 to LRE >= 6 and omega to LRE >= 5", () => {
    expect(result.converged).toBe(true);
    expect(lre(est.mu, fcp.params.mu)).toBeGreaterThanOrEqual(6);
    expect(lre(est.alpha1, fcp.params.alpha1)).toBeGreaterThanOrEqual(6);
    expect(lre(est.beta1, fcp.params.beta1)).toBeGreaterThanOrEqual(6);
    expect(lre(est.omega, fcp.params.omega)).toBeGreaterThanOrEqual(5);
  });

  it("reaches the published log-likelihood to 9 significant digits", () => {
    expect(Number(result.logLikelihood.toPrecision(9))).toBe(fcp.loglik);
  });

  it.each([
    ["hessian", "se_hessian"],
    ["opg", "se_opg"],
    ["robust", "se_qmle"],
  ] as [CovarianceKind, string][])("gives %s standard errors to LRE >= 4", (kind, column) => {
    const se = result.stdErrors[kind];
    const ref = fcp[column];
    expect(lre(se.mu!, ref.mu)).toBeGreaterThanOrEqual(4);
    expect(lre(se.omega, ref.omega)).toBeGreaterThanOrEqual(4);
    expect(lre(se.alpha[0]!, ref.alpha1)).toBeGreaterThanOrEqual(4);
    expect(lre(se.beta[0]!, ref.beta1)).toBeGreaterThanOrEqual(4);
  });

  it("reports information criteria, t-statistics and p-values consistently", () => {
    const k = 4;
    const n = dem.length;
    expect(result.nobs).toBe(n);
    expect(result.aic).toBeCloseTo(-2 * result.logLikelihood + 2 * k, 10);
    expect(result.bic).toBeCloseTo(-2 * result.logLikelihood + k * Math.log(n), 10);
    expect(result.hqic).toBeCloseTo(-2 * result.logLikelihood + 2 * k * Math.log(Math.log(n)), 10);
    expect(result.tStats.robust.alpha[0]).toBeCloseTo(
      est.alpha1 / result.stdErrors.robust.alpha[0]!,
      12,
    );
    expect(result.pValues.hessian.beta[0]).toBeLessThan(1e-10);
    expect(result.paramNames).toEqual(["mu", "omega", "alpha[1]", "beta[1]"]);
    // The log-likelihood is the fixed-parameter likelihood at the estimate.
    expect(logLikelihood(dem, result.spec, result.params)).toBeCloseTo(result.logLikelihood, 9);
  });

  it("aligns residuals, variances and standardized residuals with the input", () => {
    const e = result.residuals;
    const h = result.conditionalVariance;
    const z = result.standardizedResiduals;
    expect(e.length).toBe(dem.length);
    expect(e[10]).toBeCloseTo(dem[10]! - est.mu, 14);
    expect(h[1]).toBeCloseTo(est.omega + est.alpha1 * e[0]! ** 2 + est.beta1 * h[0]!, 12);
    expect(z[5]).toBeCloseTo(e[5]! / Math.sqrt(h[5]!), 14);
    // Accessors hand out copies: the fit cannot be changed through them.
    e[0] = 1e9;
    expect(result.residuals[0]).not.toBe(1e9);
    expect(Object.isFrozen(result)).toBe(true);
  });
});

describe("standard errors at the estimate", () => {
  it("takes the OPG from the scores at the estimate (collected in Newton's last pass)", () => {
    const f = fit(dem);
    const spec = checkSpec({});
    const model = buildModel(Float64Array.from(dem), spec);
    const theta = fromParams(spec, f.params);
    const scores = new Float64Array(model.nEff * 4);
    evaluate(model, theta, null, scores);
    const se = covariances(null, outerProduct(scores, model.nEff, 4), 4).stdErrors.opg;
    const ours = [f.stdErrors.opg.mu!, f.stdErrors.opg.omega!, f.stdErrors.opg.alpha[0]!];
    ours.push(f.stdErrors.opg.beta[0]!);
    ours.forEach((v, i) => {
      expect(v / se[i]!).toBeCloseTo(1, 10);
    });
  });
});

describe("GarchFit JSON", () => {
  it("round-trips a fit, including NaN statistics and an AR mean", () => {
    const original = fit(dem, {
      mean: { kind: "ar", lags: 1 },
      dist: "t",
      varianceTargeting: true,
    });
    const restored = GarchFit.fromJSON(JSON.parse(JSON.stringify(original)));
    expect(restored.params).toEqual(original.params);
    expect(restored.spec).toEqual(original.spec);
    expect(restored.logLikelihood).toBe(original.logLikelihood);
    expect(restored.stdErrors.hessian.omega).toBeNaN();
    expect(restored.stdErrors.robust).toEqual(original.stdErrors.robust);
    expect(restored.forecastState()).toEqual(original.forecastState());
    expect(Number.isNaN(restored.conditionalVariance[0])).toBe(true);
    expect([...restored.conditionalVariance.subarray(1)]).toEqual([
      ...original.conditionalVariance.subarray(1),
    ]);
    expect(original.message).toMatch(/variance-targeted/);
  });

  it("restores toJSON() itself, not only its JSON.parse, when a standard error is NaN", () => {
    // Variance targeting leaves omega without a standard error; toJSON must write it as null.
    const original = fit(dem, { varianceTargeting: true });
    expect(original.stdErrors.hessian.omega).toBeNaN();
    const json = original.toJSON();
    expect(json.stdErrors.hessian.omega).toBeNull();
    const restored = GarchFit.fromJSON(json);
    expect(restored.stdErrors).toEqual(original.stdErrors);
    expect(restored.tStats).toEqual(original.tStats);
  });

  it("restores toJSON() of a fit with a parameter on its bound", () => {
    // White noise: the ARCH or GARCH term ends on its lower bound, with no standard error.
    const rng = new Random(2);
    const noise = Array.from({ length: 500 }, () => rng.standardNormal());
    const original = fit(noise, { p: 2, q: 1 });
    const onBound = Object.values(original.stdErrors.hessian)
      .flat()
      .some((v) => Number.isNaN(v));
    expect(onBound).toBe(true);
    expect(GarchFit.fromJSON(original.toJSON()).stdErrors).toEqual(original.stdErrors);
  });

  it("rejects a malformed document naming the field", () => {
    const json = JSON.parse(JSON.stringify(fit(dem)));
    expect(() => GarchFit.fromJSON({ ...json, format: "x" })).toThrow(/"format"/);
    expect(() => GarchFit.fromJSON({ ...json, params: { ...json.params, alpha: "a" } })).toThrow(
      /"params\.alpha"/,
    );
    expect(() => GarchFit.fromJSON({ ...json, spec: { ...json.spec, p: 0 } })).toThrow(/"spec"/);
    expect(() => GarchFit.fromJSON(null)).toThrow(GarchInputError);
    try {
      GarchFit.fromJSON({ ...json, residuals: [1] });
    } catch (error) {
      expect((error as GarchInputError).code).toBe("INVALID_JSON");
    }
  });
});

describe("estimation", () => {
  it("recovers known parameters from a simulated series", () => {
    const x = simulate11(4000, 0.05, 0.1, 0.1, 0.8, 7);
    const r = fit(x);
    expect(r.converged).toBe(true);
    const truth = { mu: 0.05, omega: 0.1, alpha: 0.1, beta: 0.8 };
    const se = r.stdErrors.hessian;
    expect(Math.abs(r.params.mu! - truth.mu)).toBeLessThan(4 * se.mu!);
    expect(Math.abs(r.params.omega - truth.omega)).toBeLessThan(4 * se.omega);
    expect(Math.abs(r.params.alpha[0]! - truth.alpha)).toBeLessThan(4 * se.alpha[0]!);
    expect(Math.abs(r.params.beta[0]! - truth.beta)).toBeLessThan(4 * se.beta[0]!);
  });

  it("uses the warm start on long series and still reaches the optimum", () => {
    const x = simulate11(12000, 0, 0.05, 0.08, 0.9, 3);
    const r = fit(x);
    expect(r.converged).toBe(true);
    // No nearby point does better.
    for (const [da, db] of [
      [1e-3, 0],
      [-1e-3, 0],
      [0, 1e-3],
      [0, -1e-3],
    ]) {
      const moved = {
        ...r.params,
        alpha: [r.params.alpha[0]! + da],
        beta: [r.params.beta[0]! + db],
      };
      expect(logLikelihood(x, r.spec, moved)).toBeLessThan(r.logLikelihood);
    }
  });

  it("converges where alpha is at 0 and the persistence on its limit, beta fixed by both", () => {
    // A weak GARCH whose maximum under stationarity is that corner: the variance drifts from
    // the backcast. Its one free GARCH coefficient used to count as free, and the likelihood's
    // convexity along it (still rising past the limit) failed the fit as not converged.
    const spec = checkSpec({});
    const truth = { mu: 0.02, omega: 0.05, alpha: [0.02], beta: [0.5] };
    const x = simulate(spec, truth, 1000, { seed: 1093 }).returns;
    const r = fit(x);
    expect(r.converged, r.message).toBe(true);
    expect(r.activeConstraints.map((a) => a.name)).toEqual(["alpha[1]", "persistence"]);
    expect(r.params.beta[0]).toBeCloseTo(0.999999, 12);
    // Neither coefficient has a standard error: the constraints leave them no freedom.
    for (const kind of ["hessian", "opg", "robust"] as const) {
      expect([r.stdErrors[kind].alpha[0], r.stdErrors[kind].beta[0]]).toEqual([NaN, NaN]);
      expect(r.stdErrors[kind].mu! > 0 && r.stdErrors[kind].omega > 0).toBe(true);
    }
    // No feasible neighbour does better: omega and mu either way, and mass moved from beta to
    // alpha (the only move the limit allows).
    for (const moved of [
      { ...r.params, omega: r.params.omega * 1.01 },
      { ...r.params, omega: r.params.omega * 0.99 },
      { ...r.params, mu: r.params.mu! + 1e-4 },
      { ...r.params, mu: r.params.mu! - 1e-4 },
      { ...r.params, alpha: [1e-4], beta: [r.params.beta[0]! - 1e-4] },
    ]) {
      expect(logLikelihood(x, r.spec, moved)).toBeLessThan(r.logLikelihood);
    }
  });

  it("converges on a flat face where polishing's chord steps stop short", () => {
    // Weak GARCH: the optimum has alpha at 0 and beta in a flat valley. The general path's
    // polishing stopped with a constrained decrement of 1.6e-5; Newton takes it to the KKT point.
    const truth = { mu: 0.02, omega: 0.05, alpha: [0.01], beta: [0.98] };
    const x = simulate(checkSpec({}), truth, 2000, { seed: 2155 }).returns;
    const r = fit(x);
    expect(r.converged, r.message).toBe(true);
    expect(r.activeConstraints.map((a) => a.name)).toEqual(["alpha[1]"]);
    for (const db of [1e-3, -1e-3]) {
      const moved = { ...r.params, beta: [r.params.beta[0]! + db] };
      expect(logLikelihood(x, r.spec, moved)).toBeLessThan(r.logLikelihood);
    }
  });

  it("reports non-convergence on the result instead of throwing", () => {
    const r = fit(dem, { maxIterations: 1, dist: "t" });
    expect(r.converged).toBe(false);
    expect(r.message).toMatch(/not converged/);
  });

  it.each([
    { dist: "t" },
    { dist: "ged" },
    { dist: "skewt" },
    { p: 2, q: 1 },
    { p: 1, q: 0 },
    { mean: "zero" },
    { init: "ewma" },
    { stationarity: false },
  ] as const)("fits dem2gbp with %j", (o) => {
    const r = fit(dem, o);
    expect(r.converged).toBe(true);
    expect(Number.isFinite(r.logLikelihood)).toBe(true);
    // Richer models nest GARCH(1,1)-Normal with this mean and init: they cannot fit worse.
    if (!("mean" in o || "init" in o || "q" in o))
      expect(r.logLikelihood).toBeGreaterThan(-1106.608);
  });
});

describe("bad input", () => {
  it("names values that cannot be printed plainly instead of failing on them", () => {
    const bare = Object.create(null) as unknown as number;
    const series = Array.from({ length: 200 }, (_, i) => Math.sin(i));
    const cases: unknown[][] = [
      [[...series.slice(0, 100), bare, ...series.slice(100)]],
      [series, { p: 1n }],
      [series, { mean: Object.create(null) }],
      [series, { init: { kind: "fixed", value: 10n } }],
    ];
    for (const args of cases) {
      expect(() => (fit as (...a: unknown[]) => unknown)(...args)).toThrow(GarchInputError);
    }
  });

  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return error instanceof GarchInputError ? error.code : "other";
    }
    return "none";
  };

  it("rejects empty, short, non-finite and constant series with typed errors", () => {
    expect(codeOf(() => fit([]))).toBe("EMPTY_SERIES");
    expect(codeOf(() => fit(dem.slice(0, 20)))).toBe("TOO_SHORT");
    expect(() => fit(dem.slice(0, 20))).toThrow(/at least 41/);
    expect(() => fit([...dem.slice(0, 100), Number.NaN])).toThrow(/returns\[100\]/);
    expect(codeOf(() => fit(Array(100).fill(0.5)))).toBe("CONSTANT_SERIES");
  });

  it("rejects bad orders and options naming them", () => {
    expect(() => fit(dem, { p: 0 })).toThrow(/p \(ARCH order\)/);
    expect(codeOf(() => fit(dem, { q: -1 }))).toBe("INVALID_ORDER");
    expect(codeOf(() => fit(dem, { p: 1.5 }))).toBe("INVALID_ORDER");
    expect(codeOf(() => fit(dem, { p: 1000 }))).toBe("INVALID_ORDER");
    expect(() => fit(dem, { dist: "cauchy" as never })).toThrow(/dist/);
    expect(() => fit(dem, { init: -1 })).toThrow(/init/);
    expect(() => fit(dem, { maxIterations: 0 })).toThrow(/maxIterations/);
    expect(() => fit(dem, { varianceTargeting: true, stationarity: false })).toThrow(
      /varianceTargeting/,
    );
    expect(() => fit(dem, { foo: 1 } as never)).toThrow(/unknown option "foo"/);
  });

  it("property: any series with a non-finite value is rejected with NON_FINITE at its index", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 50, maxLength: 80 }),
        fc.nat(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
        (xs, at, bad) => {
          const i = at % xs.length;
          const ys = [...xs];
          ys[i] = bad;
          expect(() => fit(ys)).toThrow(new RegExp(`returns\\[${i}\\]`));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("property: orders outside the accepted ranges are INVALID_ORDER, short series TOO_SHORT", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -5, max: 0 }),
          fc.integer({ min: 21, max: 1e6 }),
          fc.double({ min: 1.01, max: 1.99 }),
        ),
        (p) => {
          expect(codeOf(() => fit(dem, { p }))).toBe("INVALID_ORDER");
        },
      ),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (n) => {
        expect(codeOf(() => fit(dem.slice(0, n)))).toBe("TOO_SHORT");
      }),
      { numRuns: 30 },
    );
  });
});
