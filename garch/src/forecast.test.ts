import { describe, expect, it } from "vitest";
import { GarchInputError } from "./errors.js";
import { fit } from "./fit.js";
import { forecast } from "./forecast.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";
import type { ForecastOptions, ForecastState, GarchParams } from "./types.js";

const garch11 = checkSpec({ p: 1, q: 1 });
const params11: GarchParams = { mu: 0.3, omega: 0.1, alpha: [0.1], beta: [0.8] };
const state11: ForecastState = { residuals: [2], variances: [1.5], returns: [] };

function expectAllClose(actual: readonly number[], expected: readonly number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, v] of expected.entries()) expect(actual[i]).toBeCloseTo(v, digits);
}

describe("forecast, analytic", () => {
  it("GARCH(1,1): h_{T+1} = omega + alpha e_T^2 + beta h_T, then omega + (alpha + beta) h", () => {
    const f = forecast(garch11, params11, state11, 3);
    // 0.1 + 0.1 x 4 + 0.8 x 1.5 = 1.7; 0.1 + 0.9 x 1.7 = 1.63; 0.1 + 0.9 x 1.63 = 1.567.
    expectAllClose(f.variance, [1.7, 1.63, 1.567]);
    expectAllClose(f.mean, [0.3, 0.3, 0.3]);
  });

  it("GARCH(2,1): both ARCH lags, the older one from the sample at step 2", () => {
    const spec = checkSpec({ p: 2, q: 1, mean: "zero" });
    const params: GarchParams = { omega: 0.05, alpha: [0.1, 0.05], beta: [0.7] };
    const f = forecast(spec, params, { residuals: [1, -2], variances: [1.2], returns: [] }, 3);
    // h1 = 0.05 + 0.1 x 4 + 0.05 x 1 + 0.7 x 1.2 = 1.34
    // h2 = 0.05 + 0.1 h1 + 0.05 x 4 + 0.7 h1 = 1.322
    // h3 = 0.05 + 0.1 h2 + 0.05 h1 + 0.7 h2 = 1.1746
    expectAllClose(f.variance, [1.34, 1.322, 1.1746]);
    expectAllClose(f.mean, [0, 0, 0]);
  });

  it("GARCH(1,2): both GARCH lags", () => {
    const spec = checkSpec({ p: 1, q: 2, mean: "zero" });
    const params: GarchParams = { omega: 0.1, alpha: [0.2], beta: [0.3, 0.4] };
    const f = forecast(spec, params, { residuals: [1], variances: [2, 1], returns: [] }, 2);
    // h1 = 0.1 + 0.2 x 1 + 0.3 x 1 + 0.4 x 2 = 1.4; h2 = 0.1 + 0.2 h1 + 0.3 h1 + 0.4 x 1 = 1.2.
    expectAllClose(f.variance, [1.4, 1.2]);
  });

  it("converges to the unconditional variance omega / (1 - sum alpha - sum beta)", () => {
    const spec = checkSpec({ p: 2, q: 2 });
    const params: GarchParams = { mu: 0, omega: 0.02, alpha: [0.05, 0.03], beta: [0.6, 0.3] };
    const f = forecast(spec, params, { residuals: [3, -4], variances: [5, 6], returns: [] }, 5000);
    expect(f.variance[4999]).toBeCloseTo(0.02 / (1 - 0.98), 10);
  });

  it("AR(1) and AR(2) means: forecasts stand in for future returns", () => {
    const ar1 = checkSpec({ mean: { kind: "ar", lags: 1 } });
    const f1 = forecast(
      ar1,
      { ...params11, mu: 0.1, ar: [0.5] },
      { ...state11, returns: [2] },
      400,
    );
    // 0.1 + 0.5 x 2 = 1.1; 0.1 + 0.5 x 1.1 = 0.65; limit 0.1 / (1 - 0.5) = 0.2.
    expectAllClose(f1.mean.slice(0, 2), [1.1, 0.65]);
    expect(f1.mean[399]).toBeCloseTo(0.2, 12);
    const ar2 = checkSpec({ mean: { kind: "ar", lags: 2 } });
    const f2 = forecast(
      ar2,
      { ...params11, mu: 0, ar: [0.5, 0.25] },
      { ...state11, returns: [4, 2] },
      3,
    );
    // 0.5 x 2 + 0.25 x 4 = 2; 0.5 x 2 + 0.25 x 2 = 1.5; 0.5 x 1.5 + 0.25 x 2 = 1.25.
    expectAllClose(f2.mean, [2, 1.5, 1.25]);
  });

  it("uses only the tails of longer state arrays", () => {
    const longer = { residuals: [9, 9, 2], variances: [7, 1.5], returns: [] };
    expect(forecast(garch11, params11, longer, 4)).toEqual(forecast(garch11, params11, state11, 4));
  });

  it("forecasts a fitted model from its state: the first step from the last residual and variance", () => {
    const spec = checkSpec({});
    const x = simulate(spec, { mu: 0.05, omega: 0.05, alpha: [0.08], beta: [0.9] }, 1500, {
      seed: 21,
    }).returns;
    const fitted = fit(x);
    const e = fitted.residuals;
    const h = fitted.conditionalVariance;
    const { omega, alpha, beta, mu } = fitted.params;
    const f = forecast(fitted.spec, fitted.params, fitted.forecastState(), 2);
    const h1 = omega + alpha[0]! * e[1499]! ** 2 + beta[0]! * h[1499]!;
    expectAllClose(f.variance, [h1, omega + (alpha[0]! + beta[0]!) * h1], 10);
    expectAllClose(f.mean, [mu!, mu!]);
  });
});

describe("forecast, simulation", () => {
  const spec = checkSpec({ mean: { kind: "ar", lags: 1 }, dist: "t" });
  const params: GarchParams = {
    mu: 0.1,
    ar: [0.4],
    omega: 0.1,
    alpha: [0.15],
    beta: [0.75],
    nu: 8,
  };
  const state: ForecastState = { residuals: [2.5], variances: [1.2], returns: [1.5] };
  const horizon = 8;

  it("is reproducible from its seed", () => {
    const opts: ForecastOptions = { method: "simulation", simulations: 200, seed: 5 };
    const a = forecast(spec, params, state, horizon, opts);
    expect(forecast(spec, params, state, horizon, opts)).toEqual(a);
    expect(forecast(spec, params, state, horizon, { ...opts, seed: 6 }).mean).not.toEqual(a.mean);
  });

  it("approaches the analytic forecast within the Monte Carlo error of its paths", () => {
    const analytic = forecast(spec, params, state, horizon);
    const paths = 20_000;
    const sim = forecast(spec, params, state, horizon, {
      method: "simulation",
      simulations: paths,
      seed: 1,
    });
    // The per-path spread of the simulated return and variance at each step, from 2000
    // single-path forecasts (independent seeds); the average of `paths` paths then has standard
    // error sd / sqrt(paths). Bounds at 5 standard errors.
    const single = Array.from({ length: 2000 }, (_, s) =>
      forecast(spec, params, state, horizon, {
        method: "simulation",
        simulations: 1,
        seed: 1000 + s,
      }),
    );
    const sd = (pick: (f: (typeof single)[number]) => number) => {
      const xs = single.map(pick);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    };
    // Step 1: h_{T+1} is known at T, so every path has the analytic value.
    expect(sim.variance[0]).toBeCloseTo(analytic.variance[0]!, 12);
    for (let k = 0; k < horizon; k++) {
      const seMean = sd((f) => f.mean[k]!) / Math.sqrt(paths);
      expect(Math.abs(sim.mean[k]! - analytic.mean[k]!)).toBeLessThan(5 * seMean);
      if (k > 0) {
        const seVar = sd((f) => f.variance[k]!) / Math.sqrt(paths);
        expect(Math.abs(sim.variance[k]! - analytic.variance[k]!)).toBeLessThan(5 * seVar);
      }
    }
  });
});

describe("forecast, bad input", () => {
  const sim = (o: ForecastOptions) => () => forecast(garch11, params11, state11, 5, o);
  it.each<[string, () => unknown, RegExp]>([
    [
      "horizon 0",
      () => forecast(garch11, params11, state11, 0),
      /horizon must be an integer from 1 to 10000 \(got 0\)/,
    ],
    ["horizon 1e9", () => forecast(garch11, params11, state11, 1e9), /horizon must be an integer/],
    ["horizon 2.5", () => forecast(garch11, params11, state11, 2.5), /horizon must be an integer/],
    ["horizon NaN", () => forecast(garch11, params11, state11, Number.NaN), /horizon/],
    [
      "simulations 0",
      sim({ method: "simulation", simulations: 0 }),
      /simulations must be an integer from 1 to 1000000/,
    ],
    [
      "simulations 1.5",
      sim({ method: "simulation", simulations: 1.5 }),
      /simulations must be an integer/,
    ],
    ["simulations 2e6", sim({ method: "simulation", simulations: 2e6 }), /simulations/],
    [
      "simulations x horizon too large",
      () =>
        forecast(garch11, params11, state11, 10_000, { method: "simulation", simulations: 1e6 }),
      /simulations x horizon must be at most/,
    ],
    [
      "seed -1",
      sim({ method: "simulation", seed: -1 }),
      /seed must be a non-negative safe integer/,
    ],
    [
      "an unknown method",
      sim({ method: "bootstrap" as "analytic" }),
      /method must be "analytic" or "simulation"/,
    ],
    ["an unknown option", sim({ paths: 3 } as ForecastOptions), /unknown forecast option "paths"/],
    [
      "too few residuals",
      () => forecast(checkSpec({ p: 2 }), { ...params11, alpha: [0.1, 0.1] }, state11, 5),
      /state\.residuals must be an array of at least 2/,
    ],
    [
      "a zero variance",
      () => forecast(garch11, params11, { ...state11, variances: [0] }, 5),
      /state\.variances\[0\] must be a finite number > 0/,
    ],
    [
      "a NaN residual",
      () => forecast(garch11, params11, { ...state11, residuals: [Number.NaN] }, 5),
      /state\.residuals\[0\] must be a finite number/,
    ],
    [
      "no returns for an AR mean",
      () =>
        forecast(
          checkSpec({ mean: { kind: "ar", lags: 1 } }),
          { ...params11, ar: [0.2] },
          state11,
          5,
        ),
      /state\.returns must be an array of at least 1/,
    ],
    [
      "a missing state",
      () => forecast(garch11, params11, null as unknown as ForecastState, 5),
      /state must be an object/,
    ],
    [
      "negative alpha",
      () => forecast(garch11, { ...params11, alpha: [-0.2] }, state11, 5),
      /params\.alpha\[0\] must be >= 0/,
    ],
  ])("rejects %s with a GarchInputError naming it", (_, call, message) => {
    expect(call).toThrow(GarchInputError);
    expect(call).toThrow(message);
  });
});
