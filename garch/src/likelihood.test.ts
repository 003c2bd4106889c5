import { describe, expect, it } from "vitest";
import { dataSeries } from "../test-support/data-series.js";
import {
  buildModel,
  evaluate,
  evaluateGradient,
  evaluateHessian,
  headModel,
  logLikelihood,
  logLikelihoods,
  type Model,
} from "./likelihood.js";
import { opgAt } from "./optimize/hessian.js";
import { fromParams, layoutOf } from "./params.js";
import { checkSpec } from "./spec.js";
import type { GarchOptions, GarchParams } from "./types.js";

const dem = Float64Array.from(dataSeries("dem2gbp.csv")).subarray(0, 400);

function paramsFor(o: GarchOptions): GarchParams {
  const spec = checkSpec(o);
  return {
    mu: -0.01,
    ar: spec.mean.kind === "ar" ? [0.05, -0.03].slice(0, spec.mean.lags) : undefined,
    omega: 0.02,
    alpha: [0.12, 0.05].slice(0, spec.p),
    beta: [0.6, 0.15].slice(0, spec.q),
    nu: spec.dist === "ged" ? 1.4 : 6,
    lambda: -0.2,
  };
}

/** The model `o` builds on the data, and its θ at {@link paramsFor}. */
function modelAt(o: GarchOptions) {
  const spec = checkSpec(o);
  return { spec, model: buildModel(dem, spec), theta: fromParams(spec, paramsFor(o)) };
}

/** Options whose models take the fused GARCH(1,1) pass. */
const FUSED: GarchOptions[] = [{ mean: "zero" }, { mean: "constant" }, { init: "ewma" }];

const options: GarchOptions[] = [];
for (const dist of ["normal", "t", "skewt", "ged"] as const) {
  for (const [p, q] of [
    [1, 1],
    [2, 1],
    [1, 2],
    [1, 0],
    [2, 2],
  ]) {
    options.push({ p, q, dist });
  }
}
for (const mean of [
  "zero",
  "constant",
  { kind: "ar", lags: 1 },
  { kind: "ar", lags: 2 },
] as const) {
  for (const init of ["fcp", "ewma", 0.3] as const) {
    options.push({ mean, init });
    options.push({ mean, init, dist: "t", p: 2, q: 1 });
  }
  options.push({ mean, varianceTargeting: true });
  options.push({ mean, varianceTargeting: true, init: "ewma", p: 1, q: 2 });
}

describe("analytic gradient", () => {
  it.each(options)("matches central differences, forward and reverse: %j", (o) => {
    const { spec, model, theta } = modelAt(o);
    const k = layoutOf(spec).k;
    const grad = new Float64Array(k);
    const scores = new Float64Array(model.nEff * k);
    const ll = evaluate(model, theta, grad, scores);
    expect(evaluate(model, theta)).toBeCloseTo(ll, 9);
    // The optimiser's gradient (reverse accumulation, no scores) is the same gradient.
    const reverse = new Float64Array(k);
    expect(evaluate(model, theta, reverse)).toBeCloseTo(ll, 9);
    for (let i = 0; i < k; i++) {
      expect(Math.abs(reverse[i]! - grad[i]!)).toBeLessThan(1e-9 * (1 + Math.abs(grad[i]!)));
    }
    for (let i = 0; i < k; i++) {
      const step = 1e-6 * Math.max(1, Math.abs(theta[i]!));
      const up = Float64Array.from(theta);
      up[i] += step;
      const dn = Float64Array.from(theta);
      dn[i] -= step;
      const fd = (evaluate(model, up) - evaluate(model, dn)) / (2 * step);
      expect(Math.abs(grad[i]! - fd)).toBeLessThan(1e-5 * (1 + Math.abs(fd)));
      // The per-observation scores add up to the gradient.
      let sum = 0;
      for (let t = 0; t < model.nEff; t++) sum += scores[t * k + i]!;
      expect(sum).toBeCloseTo(grad[i]!, 8);
    }
  });
});

describe("fused GARCH(1,1)-Normal pass", () => {
  it.each([
    { mean: "zero" },
    { mean: "constant" },
    { init: "ewma" },
    { init: 0.5 },
  ] as GarchOptions[])("agrees with the general pass, value and gradient: %j", (o) => {
    const { model: fused, theta } = modelAt(o);
    expect(fused.fused).toBe(true);
    const general = { ...fused, fused: false };
    const k = theta.length;
    const [g1, g2] = [new Float64Array(k), new Float64Array(k)];
    const ll = evaluateHessian(fused, theta, g1, new Float64Array(k * k));
    expect(ll).toBeCloseTo(evaluate(general, theta, g2), 10);
    expect(evaluate(fused, theta)).toBeCloseTo(ll, 10);
    for (let i = 0; i < k; i++) expect(g1[i]).toBeCloseTo(g2[i]!, 8);
    // The pass without second derivatives gives the same value and gradient, to the bit.
    const g3 = new Float64Array(k);
    expect(evaluateGradient(fused, theta, g3)).toBe(ll);
    expect(Array.from(g3)).toEqual(Array.from(g1));
    expect(evaluateGradient(general, theta, g3)).toBeNaN();
  });
});

describe("headModel (a leading block in the longer model's arrays)", () => {
  it.each([{ mean: "constant" }, { mean: "zero" }, { p: 2, q: 1, dist: "t" }] as GarchOptions[])(
    "evaluates as a model built on the block, writing into the start of the model's arrays: %j",
    (o) => {
      const { spec, model, theta } = modelAt(o);
      const head = headModel(model, 150);
      const own = buildModel(dem.subarray(0, 150), spec);
      const k = theta.length;
      const [g1, g2] = [new Float64Array(k), new Float64Array(k)];
      expect(evaluate(head, theta, g1)).toBe(evaluate(own, theta, g2));
      expect(Array.from(g1)).toEqual(Array.from(g2));
      expect(head.nEff).toBe(150);
      expect(head.h.buffer).toBe(model.h.buffer);
      expect(head.e.buffer).toBe(model.e.buffer);
      expect(Array.from(model.h.subarray(0, 150))).toEqual(Array.from(own.h));
    },
  );
});

describe("fused exact Hessian", () => {
  it.each(FUSED)(
    "matches central differences of the analytic gradient, with the OPG of the scores (also opgAt's): %j",
    (o) => {
      const { model, theta } = modelAt(o);
      const k = theta.length;
      const hess = new Float64Array(k * k);
      const opg = new Float64Array(k * k);
      const g = new Float64Array(k);
      const ll = evaluateHessian(model, theta, g, hess, opg);
      expect(ll).toBeCloseTo(evaluate(model, theta), 10);
      const [gp, gm] = [new Float64Array(k), new Float64Array(k)];
      for (let j = 0; j < k; j++) {
        const step = 1e-6 * Math.max(Math.abs(theta[j]!), 1e-2);
        const x = Float64Array.from(theta);
        x[j] = theta[j]! + step;
        evaluate(model, x, gp);
        x[j] = theta[j]! - step;
        evaluate(model, x, gm);
        for (let i = 0; i < k; i++) {
          const fd = (gp[i]! - gm[i]!) / (2 * step);
          expect(Math.abs(hess[i * k + j]! - fd)).toBeLessThan(1e-5 * (1 + Math.abs(fd)));
        }
      }
      const scores = new Float64Array(model.nEff * k);
      evaluate(model, theta, null, scores);
      // opgAt takes the fused pass's (the general pass's scores gave it before).
      const viaOpgAt = opgAt(model, theta);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let sum = 0;
          for (let t = 0; t < model.nEff; t++) sum += scores[t * k + i]! * scores[t * k + j]!;
          expect(opg[i * k + j]).toBeCloseTo(sum, 8);
          expect(viaOpgAt[i * k + j]).toBeCloseTo(sum, 8);
        }
      }
    },
  );
});

describe("logLikelihoods (several θ in one pass)", () => {
  it.each(FUSED)("gives evaluate's values where the mean is shared, NaN where not: %j", (o) => {
    const { spec, model, theta: base } = modelAt(o);
    const thetas = [0.3, 0.6, 0.85, 0.9, 0.97].map((pers, i) => {
      const theta = Float64Array.from(base);
      const a = [0.04, 0.1, 0.25, 0.04, 0.1][i]!;
      theta.set([0.02 * (1 - pers), a, pers - a], theta.length - 3);
      return theta;
    });
    const moved = Float64Array.from(base);
    moved[0] = moved[0]! + 0.01;
    const lls = logLikelihoods(model, [...thetas, moved]);
    thetas.forEach((theta, i) => {
      expect(lls[i]).toBeCloseTo(evaluate(model, theta), 9);
    });
    if (spec.mean.kind === "constant") expect(lls[thetas.length]).toBeNaN();
    else expect(lls[thetas.length]).toBeCloseTo(evaluate(model, moved), 9);
  });
});

describe("the passes", () => {
  // Specs come in several shapes (nested models' among them): a pass that read its model's
  // spec saw shapes it had not been compiled for and deoptimised, in fits, over and over.
  it.each([
    ...FUSED,
    { p: 2, q: 2, dist: "t" },
    { mean: { kind: "ar", lags: 2 }, dist: "skewt" },
    { varianceTargeting: true, init: 0.5 },
  ] as GarchOptions[])("read the model's layout, never its spec: %j", (o) => {
    const { model, theta } = modelAt(o);
    const spec = new Proxy(model.spec, {
      get: (_, key) => {
        throw new Error(`a pass read spec.${String(key)}`);
      },
    });
    const bound = { ...model, spec };
    const k = theta.length;
    const [grad, hess] = [new Float64Array(k), new Float64Array(k * k)];
    const expected = evaluate(model, theta);
    expect(evaluate(bound, theta)).toBe(expected);
    evaluate(bound, theta, grad);
    evaluate(bound, theta, grad, new Float64Array(model.nEff * k));
    evaluateHessian(bound, theta, grad, hess, new Float64Array(k * k));
    evaluateGradient(bound, theta, grad);
    logLikelihoods(bound, [theta, theta]);
  });
});

describe("models of one series", () => {
  it("share the passes' scratch, each pass giving what a model on its own copy gives", () => {
    const orders: GarchOptions[] = [
      { p: 2, q: 2, dist: "t" },
      { mean: { kind: "ar", lags: 2 }, dist: "skewt" },
      { q: 0, varianceTargeting: true },
    ];
    const shared = orders.map((o) => buildModel(dem, checkSpec(o)));
    shared.push(headModel(shared[0]!, 150));
    expect(new Set(shared.map((m) => m.scratch)).size).toBe(1);
    const own = shared.map((m) => buildModel(Float64Array.from(m.r), m.spec));
    const thetas = shared.map((m, i) => fromParams(m.spec, paramsFor(orders[i] ?? orders[0]!)));
    const passes = (model: Model, theta: Float64Array) => {
      const k = theta.length;
      const [g1, g2, scores] = [
        new Float64Array(k),
        new Float64Array(k),
        new Float64Array(model.nEff * k),
      ];
      return [
        evaluate(model, theta),
        evaluate(model, theta, g1),
        evaluate(model, theta, g2, scores),
        ...g1,
        ...g2,
        ...scores,
      ];
    };
    // Interleaved: every pass on one model runs between passes on the others.
    for (let round = 0; round < 2; round++) {
      shared.forEach((model, i) => {
        expect(passes(model, thetas[i]!)).toEqual(passes(own[i]!, thetas[i]!));
      });
    }
  });
});

describe("logLikelihood", () => {
  it("reproduces the FCP benchmark log-likelihood at the published estimates", () => {
    const full = dataSeries("dem2gbp.csv");
    const ll = logLikelihood(full, checkSpec(), {
      mu: -0.00619041,
      omega: 0.0107613,
      alpha: [0.153134],
      beta: [0.805974],
    });
    expect(ll).toBeCloseTo(-1106.60788, 4);
  });

  it("is conditional on the first k observations under an AR(k) mean", () => {
    const spec = checkSpec({ mean: { kind: "ar", lags: 2 } });
    const model = buildModel(dem, spec);
    expect(model.nEff).toBe(dem.length - 2);
  });

  it("rejects missing parameters naming the field", () => {
    expect(() =>
      logLikelihood(dem, checkSpec({ dist: "t" }), {
        mu: 0,
        omega: 0.1,
        alpha: [0.1],
        beta: [0.8],
      }),
    ).toThrow(/params\.nu/);
  });
});
