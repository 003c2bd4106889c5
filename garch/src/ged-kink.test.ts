/**
 * GED innovations with nu near or below 1 and a mean: the log-likelihood has a kink in the mean
 * parameters at each observation (a cusp for nu < 1), and the curvature there a spike. Such fits
 * used to stop short with `converged: false`: polishing gave up after one rejected full step,
 * and no step reaches an optimum on a cusp. The log-likelihoods "before" are those the fits
 * ended with then (converged or not); each fit must now converge at least as high (to rounding).
 */
import { describe, expect, it } from "vitest";
import { dataSeries } from "../test-support/data-series.js";
import { covariances, outerProduct } from "./covariance.js";
import { fit, GarchFit } from "./fit.js";
import { buildModel, evaluate, logLikelihood } from "./likelihood.js";
import { fromParams } from "./params.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";
import type { GarchOptions, GarchParams } from "./types.js";

const dem = dataSeries("dem2gbp.csv");
/** Rounding in a log-likelihood of a few thousand terms. */
const ROUNDING = 1e-9;
const AR1 = { kind: "ar", lags: 1 } as const;
const AR2 = { kind: "ar", lags: 2 } as const;

/** Simulated GARCH(1,1)-GED (n = 2000): constant mean 0.02, or AR(1) with coefficient `ar`. */
function simulated(nu: number, seed: number, ar?: number, n = 2000): Float64Array {
  const options: GarchOptions = { dist: "ged", mean: ar === undefined ? "constant" : AR1 };
  const truth: GarchParams = { mu: 0.02, omega: 0.05, alpha: [0.1], beta: [0.85], nu };
  const params = ar === undefined ? truth : { ...truth, ar: [ar] };
  return simulate(checkSpec(options), params, n, { seed }).returns;
}

describe("GED with nu near 1 and a constant mean (simulated, n = 2000)", () => {
  // [true nu, seed, log-likelihood before (converged before: seeds 1 and 2 of nu = 1 and all of
  // nu = 1.2)]
  it.each<[number, number, number]>([
    [1, 1, -2476.0176401074636],
    [1, 2, -2457.268795201583],
    [1, 3, -2670.6061147330497],
    [1, 4, -2505.471911785118],
    [1, 5, -2377.477518333172],
    [1, 6, -2572.855918372245],
    [1, 7, -2491.1310561728424],
    [1, 8, -2356.004701452774],
    [1, 9, -2570.2410053037966],
    [1, 10, -2444.318223562268],
    [1, 11, -2678.27503011535],
    [1, 12, -2502.7804735181244],
    [1.2, 1, -2710.532778493375],
    [1.2, 2, -2613.4328070704128],
    [1.2, 3, -2576.554787509378],
    [1.2, 4, -2520.6093262129693],
    [1.2, 5, -2499.078355380931],
    [1.2, 6, -2707.1334201283657],
  ])("nu = %d, seed %d: converged, no lower than before", (nu, seed, before) => {
    const r = fit(simulated(nu, seed), { dist: "ged" });
    expect(r.converged, r.message).toBe(true);
    expect(r.logLikelihood).toBeGreaterThanOrEqual(before - ROUNDING);
  });
});

describe("GED with nu below 1 and an AR(1) mean (simulated, n = 2000, true nu = 0.8)", () => {
  // Its optima lie where the kinks of two observations cross.
  it.each<[number, number]>([
    [2147, -2303.390078788913],
    [2154, -2238.557467003318],
    [2161, -2550.090262297112],
  ])("seed %d: converged on a kink, no lower than before", (seed, before) => {
    const r = fit(simulated(0.8, seed, 0.1), { dist: "ged", mean: AR1 });
    expect(r.converged, r.message).toBe(true);
    expect(r.message).toMatch(
      /^converged on a kink: the mean leaves a residual of 0 at r\[\d+\], r\[\d+\]/,
    );
    expect(r.logLikelihood).toBeGreaterThanOrEqual(before - ROUNDING);
  });
});

describe("GED with nu just above 1 and an AR(1) mean (simulated, true nu = 1)", () => {
  // Their optima lie on the kink of one observation (a line in (mu, phi)) or where the kinks of
  // two cross, with nu a little above 1: the fits ended unconverged before, with these
  // log-likelihoods. [AR coefficient, seed, n, log-likelihood before, observations at the kink]
  it.each<[number, number, number, number, string]>([
    [0.1, 31776, 500, -707.4279641022104, "r\\[\\d+\\]"],
    [0.3, 31776, 1000, -1346.7666961052762, "r\\[\\d+\\], r\\[\\d+\\]"],
  ])(
    "AR %d, seed %d, n = %d: converged on a kink, no lower than before",
    (ar, seed, n, before, at) => {
      const x = simulated(1, seed, ar, n);
      const r = fit(x, { dist: "ged", mean: AR1 });
      expect(r.converged, r.message).toBe(true);
      expect(r.params.nu).toBeGreaterThan(1);
      expect(r.message).toMatch(
        new RegExp(`^converged on a kink: the mean leaves a residual of 0 at ${at}, where`),
      );
      expect(r.logLikelihood).toBeGreaterThanOrEqual(before - ROUNDING);
      // No mean nearby is higher, on the kink (mu moved with phi) or off it.
      const t = Number(/r\[(\d+)\]/.exec(r.message)![1]);
      const { mu, ar: phi } = r.params;
      for (const delta of [1e-9, 1e-6, 1e-4, -1e-9, -1e-6, -1e-4]) {
        const moved = [
          { mu: mu! + delta, ar: phi },
          { mu, ar: [phi![0]! + delta] },
          { mu: mu! - delta * x[t - 1]!, ar: [phi![0]! + delta] },
        ];
        for (const m of moved) {
          const ll = logLikelihood(x, r.spec, { ...r.params, ...m });
          expect(ll).toBeLessThan(r.logLikelihood + 5e-8);
        }
      }
    },
  );
});

describe("GED fits of dem2gbp with an AR mean (nu about 1.15)", () => {
  // [p, q, mean, init, log-likelihood before]; all but the fcp GARCH(1,2) fits ended
  // unconverged before.
  it.each<[number, number, typeof AR1 | typeof AR2, "fcp" | "ewma", number]>([
    [1, 1, AR1, "fcp", -1001.8741456538777],
    [1, 1, AR1, "ewma", -1000.3329185157512],
    [1, 1, AR2, "fcp", -1001.594998664398],
    [1, 1, AR2, "ewma", -1000.3391694413123],
    [1, 2, AR1, "fcp", -999.2976689813974],
    [1, 2, AR1, "ewma", -997.5382779246679],
    [1, 2, AR2, "fcp", -998.951606627535],
    [1, 2, AR2, "ewma", -997.4927179734492],
    [2, 1, AR1, "fcp", -1001.8741440384478],
    [2, 1, AR1, "ewma", -1000.3329167326202],
    [2, 1, AR2, "fcp", -1001.5949973882159],
    [2, 1, AR2, "ewma", -1000.3391688593598],
    [2, 2, AR1, "ewma", -997.5382764262916],
    [2, 2, AR2, "ewma", -997.4927179734492],
  ])(
    "GARCH(%d,%d), %j mean, %s init: converged, no lower than before",
    (p, q, mean, init, before) => {
      const r = fit(dem, { p, q, mean, init, dist: "ged" });
      expect(r.converged, r.message).toBe(true);
      expect(r.logLikelihood).toBeGreaterThanOrEqual(before - ROUNDING);
    },
  );
});

describe("an optimum on a cusp", () => {
  const x = simulated(1, 9);
  const r = fit(x, { dist: "ged" });

  it("holds the mean on an observation, with an OPG standard error only and no active constraint", () => {
    expect(r.converged, r.message).toBe(true);
    expect(r.params.nu).toBeLessThan(1);
    expect(r.message).toMatch(
      /^converged on a kink: the mean leaves a residual of 0 at r\[(\d+)\]/,
    );
    const t = Number(/r\[(\d+)\]/.exec(r.message)![1]);
    expect(r.params.mu).toBe(x[t]);
    expect(r.activeConstraints).toEqual([]);
    for (const kind of ["hessian", "robust"] as const) {
      expect(r.stdErrors[kind].mu).toBeNaN();
      expect(r.stdErrors[kind].omega).toBeGreaterThan(0);
      expect(r.stdErrors[kind].nu).toBeGreaterThan(0);
    }
    // 0.0127 here; across 150 series simulated with parameters close to this fit's, the mean's
    // estimates had a standard deviation of 0.014, and the OPG intervals covered it 95 % of the time.
    expect(r.stdErrors.opg.mu).toBeGreaterThan(0.01);
    expect(r.stdErrors.opg.mu).toBeLessThan(0.016);
    expect(r.tStats.opg.mu).toBe(r.params.mu! / r.stdErrors.opg.mu!);
    expect(r.pValues.opg.mu).toBeGreaterThan(0);
    expect(r.message).toMatch(
      new RegExp(
        `; the mean on the kink has opg standard errors only \\(its Hessian is not defined there, its scores are, but for r\\[${t}\\], where they are infinite or, beside the kink, unbounded\\); the other opg standard errors are those of the model with the mean estimated$`,
      ),
    );
    expect(GarchFit.fromJSON(JSON.parse(JSON.stringify(r))).stdErrors).toEqual(r.stdErrors);
  });

  it("is higher than any nearby mean", () => {
    for (const delta of [1e-12, 1e-9, 1e-6, 1e-4, -1e-12, -1e-9, -1e-6, -1e-4]) {
      const moved = { ...r.params, mu: r.params.mu! + delta };
      expect(logLikelihood(x, r.spec, moved)).toBeLessThan(r.logLikelihood);
    }
  });
});

describe("ends beside a kink (simulated with mu 0, omega 0.04, alpha 0.09, beta 0.88)", () => {
  /** GARCH(1,1)-GED with a constant mean, shape nu. */
  const series = (nu: number, seed: number, n: number) =>
    simulate(
      checkSpec({ dist: "ged" }),
      { mu: 0, omega: 0.04, alpha: [0.09], beta: [0.88], nu },
      n,
      {
        seed,
      },
    ).returns;

  it("nu 0.92, seed 1019, n = 2000: stays where it converged, the mean with OPG standard errors only", () => {
    // It passed the decrement test with mu 2.5e-8 from r[1101], inside the Hessian's difference
    // step in mu (1e-7): the differences straddled the cusp, and the mean's Hessian standard
    // error was 2.8e-4, 55 times under its OPG one.
    const r = fit(series(0.92, 1019, 2000), { dist: "ged" });
    expect(r.converged, r.message).toBe(true);
    expect(r.message).toMatch(
      /^converged beside a kink: the mean leaves a standardised residual of \d\.\de-8 at r\[1101\], where the GED log-likelihood with nu < 1 has a cusp in the mean, .*; constrained Newton decrement 1\.5e-8; the mean on the kink has opg standard errors only/,
    );
    expect(r.logLikelihood).toBeCloseTo(-2711.8473889352817, 6);
    expect(r.params.mu).toBeCloseTo(-0.003517659518792351, 10);
    expect(r.params.nu).toBeCloseTo(0.9863213456457159, 8);
    expect(r.activeConstraints).toEqual([]);
    for (const kind of ["hessian", "robust"] as const) expect(r.stdErrors[kind].mu).toBeNaN();
    expect(r.stdErrors.opg.mu).toBeGreaterThan(0.014);
    expect(r.stdErrors.opg.mu).toBeLessThan(0.0165);
    // The others' Hessian standard errors, now those of the model with the mean held, hardly move.
    expect(r.stdErrors.hessian.omega / 0.018363645992722846).toBeCloseTo(1, 3);
    expect(r.stdErrors.hessian.nu! / 0.0403372105964654).toBeCloseTo(1, 3);
  });

  it("nu 0.95, seed 1, n = 1000: beside a cusp, is not taken for a flat ridge", () => {
    // Beside r[311]'s cusp its convex curvature cancelled the others' in the mean: the fit
    // converged "on a flat ridge" at -1380.2125818865886, with no Hessian standard errors at all.
    const r = fit(series(0.95, 1, 1000), { dist: "ged" });
    expect(r.converged, r.message).toBe(true);
    expect(r.message).toMatch(
      /^converged on a kink: the mean leaves a residual of 0 at r\[311\], where the GED log-likelihood with nu < 1 has a cusp in the mean/,
    );
    expect(r.logLikelihood).toBeGreaterThanOrEqual(-1380.2125818865886 - ROUNDING);
    expect(r.stdErrors.hessian.mu).toBeNaN();
    expect(r.stdErrors.opg.mu).toBeGreaterThan(0.015);
    for (const v of [
      r.stdErrors.hessian.omega,
      r.stdErrors.hessian.beta[0]!,
      r.stdErrors.hessian.nu!,
    ]) {
      expect(v).toBeGreaterThan(0);
    }
  });

  it("nu 1, seed 55, n = 1000: the polish from a crossing that ends on it is on the kink", () => {
    // It converged (decrement 8.1e-9) with mu exactly r[726] and nu = 1.004, the mean's Hessian
    // standard error 3.0e-4 against an OPG one of 0.0197.
    const x = series(1, 55, 1000);
    const r = fit(x, { dist: "ged" });
    expect(r.converged, r.message).toBe(true);
    expect(r.message).toMatch(
      /^converged on a kink: the mean leaves a standardised residual of 0 at r\[726\], where the GED log-likelihood with nu = 1\.004 is all but kinked in the mean/,
    );
    expect(r.params.mu).toBe(x[726]);
    expect(r.logLikelihood).toBeCloseTo(-1296.9103987436088, 6);
    expect(r.stdErrors.hessian.mu).toBeNaN();
    expect(r.stdErrors.opg.mu).toBeCloseTo(0.0197, 3);
  });

  it("nu 1.1, seed 11, n = 1000: away from every kink, keeps its Hessian standard errors", () => {
    const r = fit(series(1.1, 11, 1000), { dist: "ged" });
    expect(r.message).toMatch(/^converged: constrained Newton decrement/);
    expect(r.stdErrors.hessian.mu).toBeCloseTo(0.030015088298748507, 8);
  });
});

describe("OPG standard errors of a mean on a kink", () => {
  it("leave out the scores of the observations on a cusp (AR(1), nu < 1)", () => {
    // The crossing's residuals are 0 only to rounding (-3.5e-18 at r[14]), where the score of
    // the mean, as |z|^(nu - 1), is about 2,500 times its usual size.
    const x = simulated(0.8, 2147, 0.1);
    const r = fit(x, { dist: "ged", mean: AR1 });
    expect(r.message).toMatch(
      /^converged on a kink: the mean leaves a residual of 0 at r\[14\], r\[686\]/,
    );
    expect(r.message).toMatch(
      /its scores are, but for r\[14\], r\[686\], where they are infinite or, beside the kink, unbounded\)/,
    );
    const model = buildModel(x, r.spec);
    const { k } = model.layout;
    const scores = new Float64Array(model.nEff * k);
    evaluate(model, fromParams(r.spec, r.params), null, scores);
    const opg = (rows: Float64Array) =>
      covariances(null, outerProduct(rows, model.nEff, k), k).stdErrors.opg;
    const kept = Float64Array.from(scores);
    for (const t of [14, 686]) kept.fill(0, (t - model.t0) * k, (t - model.t0 + 1) * k);
    const expected = opg(kept);
    const ours = fromParams(r.spec, r.stdErrors.opg, false);
    ours.forEach((v, i) => {
      expect(v / expected[i]!).toBeCloseTo(1, 8);
    });
    // With them, the mean's would be an artefact of rounding.
    expect(opg(scores)[0]! / expected[0]!).toBeLessThan(0.5);
    for (const kind of ["hessian", "robust"] as const) {
      expect(r.stdErrors[kind].mu).toBeNaN();
      expect(r.stdErrors[kind].ar![0]).toBeNaN();
    }
  });

  it("are the scores' on the kink of one observation (AR(1), nu just above 1)", () => {
    const r = fit(simulated(1, 31776, 0.1, 500), { dist: "ged", mean: AR1 });
    expect(r.message).toMatch(
      /^converged on a kink: the mean leaves a residual of 0 at r\[\d+\], where/,
    );
    expect(r.message).toMatch(/its scores are\); the other opg standard errors/);
    expect(r.stdErrors.opg.mu).toBeGreaterThan(0);
    expect(r.stdErrors.opg.ar![0]).toBeGreaterThan(0);
    expect(r.stdErrors.robust.mu).toBeNaN();
  });

  it("are not given with nu <= 3/4, where the squared scores have an infinite variance", () => {
    // Simulated with nu = 0.6, such intervals covered the mean 60 % of the time (n = 8,000).
    const options: GarchOptions = { dist: "ged" };
    const truth = { mu: 0, omega: 0.05, alpha: [0.1], beta: [0.85], nu: 0.65 };
    const x = simulate(checkSpec(options), truth, 1000, { seed: 3 }).returns;
    const r = fit(x, options);
    expect(r.message).toMatch(/^converged on a kink/);
    expect(r.message).toMatch(
      /; with nu = 0\.6\d+ <= 0\.75 the outer product of the scores is not a reliable measure of the mean's information \(the squares of its scores have an infinite variance, and for nu <= 0\.5 an infinite mean\): it has no opg standard error either$/,
    );
    for (const kind of ["hessian", "opg", "robust"] as const) {
      expect(r.stdErrors[kind].mu).toBeNaN();
      expect(r.stdErrors[kind].omega).toBeGreaterThan(0);
    }
  });
});
