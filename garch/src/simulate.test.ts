import { describe, expect, it } from "vitest";
import { GarchInputError } from "./errors.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";
import type { GarchParams } from "./types.js";

const garch11 = checkSpec({ p: 1, q: 1, mean: "constant" });
const params11: GarchParams = { mu: 0.05, omega: 0.1, alpha: [0.1], beta: [0.8] };

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

describe("simulate", () => {
  it("is reproducible from its seed and differs between seeds", () => {
    const a = simulate(garch11, params11, 200, { seed: 7 });
    expect(simulate(garch11, params11, 200, { seed: 7 })).toEqual(a);
    expect(simulate(garch11, params11, 200, { seed: 8 }).returns).not.toEqual(a.returns);
  });

  it("discards exactly the burn-in: the tail of a longer unburnt run", () => {
    const burnt = simulate(garch11, params11, 300, { seed: 3, burn: 200 });
    const whole = simulate(garch11, params11, 500, { seed: 3, burn: 0 });
    expect(burnt.returns).toEqual(whole.returns.slice(200));
    expect(burnt.variance).toEqual(whole.variance.slice(200));
  });

  it("follows the GARCH(2,2) and AR(2) recursions step by step", () => {
    const spec = checkSpec({ p: 2, q: 2, mean: { kind: "ar", lags: 2 }, dist: "t" });
    const params: GarchParams = {
      mu: 0.1,
      ar: [0.3, -0.2],
      omega: 0.05,
      alpha: [0.05, 0.08],
      beta: [0.5, 0.3],
      nu: 6,
    };
    const { returns: r, variance: h, residuals: e } = simulate(spec, params, 400, { seed: 1 });
    for (let t = 2; t < 400; t++) {
      const ht =
        0.05 + 0.05 * e[t - 1]! ** 2 + 0.08 * e[t - 2]! ** 2 + 0.5 * h[t - 1]! + 0.3 * h[t - 2]!;
      expect(h[t]).toBeCloseTo(ht, 12);
      expect(r[t]).toBeCloseTo(0.1 + 0.3 * r[t - 1]! - 0.2 * r[t - 2]! + e[t]!, 12);
    }
  });

  it("starts at the unconditional variance when stationary and at omega otherwise", () => {
    const zero = checkSpec({ mean: "zero" });
    const stationary = simulate(zero, { omega: 0.1, alpha: [0.1], beta: [0.8] }, 1, { burn: 0 });
    // h_0 = omega + (alpha + beta) h_pre with h_pre = omega / (1 - 0.9) = 1: h_0 = 1.
    expect(stationary.variance[0]).toBeCloseTo(1, 14);
    const integrated = simulate(zero, { omega: 0.1, alpha: [0.3], beta: [0.8] }, 1, { burn: 0 });
    // h_pre = omega: h_0 = 0.1 + 1.1 x 0.1.
    expect(integrated.variance[0]).toBeCloseTo(0.21, 14);
  });

  it("has the GARCH(1,1) unconditional variance and unit-variance standardised residuals", () => {
    const n = 100_000;
    const { residuals: e, variance: h, returns: r } = simulate(garch11, params11, n, { seed: 2 });
    const sigma2 = 0.1 / (1 - 0.9);
    // Normal GARCH(1,1), alpha = 0.1, beta = 0.8: E e^4 / sigma^4 = 3 (1 - 0.81) / (1 - 0.81 - 0.02),
    // autocorrelations of e^2 rho_1 = a (1 - a b - b^2) / (1 - 2 a b - b^2) = 0.14, decaying by
    // 0.9, so Var(mean e^2) = sigma^4 (kurtosis - 1) (1 + 2 rho_1 / (1 - 0.9)) / n.
    const kurtosis = (3 * 0.19) / 0.17;
    const se = sigma2 * Math.sqrt(((kurtosis - 1) * (1 + (2 * 0.14) / 0.1)) / n);
    expect(Math.abs(mean(e.map((v) => v * v)) - sigma2)).toBeLessThan(5 * se);
    const z = e.map((v, i) => v / Math.sqrt(h[i]!));
    expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(mean(z.map((v) => v * v)) - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // The constant mean: r - e = mu exactly.
    expect(Math.max(...r.map((v, i) => Math.abs(v - e[i]! - 0.05)))).toBeLessThan(1e-12);
  });

  it("gives an AR(1) mean its stationary level and lag-1 autocorrelation", () => {
    const spec = checkSpec({ mean: { kind: "ar", lags: 1 } });
    const n = 100_000;
    const { returns: r } = simulate(
      spec,
      { mu: 0.2, ar: [0.5], omega: 0.1, alpha: [0.1], beta: [0.8] },
      n,
      {
        seed: 4,
      },
    );
    const m = mean(r);
    // Level mu / (1 - phi) = 0.4; the long-run standard deviation of the mean is
    // sigma / (1 - phi) / sqrt(n) = 2 / sqrt(n) = 0.0063 (sigma^2 = 1).
    expect(Math.abs(m - 0.4)).toBeLessThan(5 * (2 / Math.sqrt(n)));
    let c0 = 0;
    let c1 = 0;
    for (let t = 0; t < n; t++) c0 += (r[t]! - m) ** 2;
    for (let t = 1; t < n; t++) c1 += (r[t]! - m) * (r[t - 1]! - m);
    // sqrt((1 - phi^2) / n) = 0.0027 under i.i.d. errors; GARCH errors widen it, hence 0.02.
    expect(Math.abs(c1 / c0 - 0.5)).toBeLessThan(0.02);
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      "omega <= 0",
      () => simulate(garch11, { ...params11, omega: 0 }, 10),
      /params\.omega must be > 0/,
    ],
    [
      "negative alpha",
      () => simulate(garch11, { ...params11, alpha: [-0.1] }, 10),
      /params\.alpha\[0\] must be >= 0/,
    ],
    [
      "negative beta",
      () => simulate(garch11, { ...params11, beta: [-1e-9] }, 10),
      /params\.beta\[0\] must be >= 0/,
    ],
    [
      "alpha of the wrong length",
      () => simulate(garch11, { ...params11, alpha: [0.1, 0.1] }, 10),
      /params\.alpha must be an array of 1/,
    ],
    [
      "a missing mu",
      () => simulate(garch11, { omega: 0.1, alpha: [0.1], beta: [0.8] }, 10),
      /params\.mu/,
    ],
    [
      "a missing ar",
      () => simulate(checkSpec({ mean: { kind: "ar", lags: 2 } }), params11, 10),
      /params\.ar/,
    ],
    [
      "NaN omega",
      () => simulate(garch11, { ...params11, omega: Number.NaN }, 10),
      /params\.omega must be a finite number/,
    ],
    [
      "t without nu",
      () => simulate(checkSpec({ dist: "t" }), params11, 10),
      /params\.nu must be a finite number/,
    ],
    [
      "skewt with lambda = -1",
      () => simulate(checkSpec({ dist: "skewt" }), { ...params11, nu: 5, lambda: -1 }, 10),
      /params\.lambda/,
    ],
    ["n = 0", () => simulate(garch11, params11, 0), /n must be an integer from 1/],
    ["n = 2.5", () => simulate(garch11, params11, 2.5), /n must be an integer/],
    ["n = 1e9", () => simulate(garch11, params11, 1e9), /n must be an integer from 1 to 10000000/],
    [
      "burn = -1",
      () => simulate(garch11, params11, 10, { burn: -1 }),
      /burn must be an integer from 0/,
    ],
    [
      "seed = -1",
      () => simulate(garch11, params11, 10, { seed: -1 }),
      /seed must be a non-negative safe integer/,
    ],
    [
      "p = 0 in a hand-built spec",
      () => simulate({ ...garch11, p: 0 }, params11, 10),
      /p \(ARCH order\) must be an integer/,
    ],
  ])("rejects %s with a GarchInputError naming it", (_, call, message) => {
    expect(call).toThrow(GarchInputError);
    expect(call).toThrow(message);
  });
});
