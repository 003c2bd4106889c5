import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dataSeries } from "../test-support/data-series.js";
import { referenceOptimum } from "../test-support/reference-optimum.js";
import { fit } from "./fit.js";
import { buildModel, evaluate } from "./likelihood.js";
import { fromParams } from "./params.js";
import type { Random } from "./random.js";
import { embed } from "./search.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";
import type { GarchParams } from "./types.js";

/** How far below the reference a fit may end (log-likelihood units). */
const TOL = 1e-4;

interface Case {
  readonly p: number;
  readonly q: number;
  readonly truth: GarchParams;
  readonly n: number;
  readonly init: "fcp" | "ewma";
  readonly seed: number;
}

/**
 * Simulates a case, fits it (positivity bounds only, as the held-out fits) and checks
 * that the fit converged at or above the reference optimum of an independent multi-start
 * Nelder-Mead (test-support/reference-optimum.ts).
 */
function checkAgainstReference(c: Case): void {
  const spec = checkSpec({ p: c.p, q: c.q, init: c.init, stationarity: false });
  const x = simulate(spec, c.truth, c.n, { seed: c.seed }).returns;
  const fitted = fit(x, { p: c.p, q: c.q, init: c.init, stationarity: false });
  const model = buildModel(x, spec);
  const k = model.layout.k;
  let variance = 0;
  for (const v of x) variance += (v - model.mean) ** 2;
  variance /= x.length;
  const start = (rng: Random) => {
    const pers = 0.5 + 0.49 * rng.nextFloat();
    const arch = pers * (0.05 + 0.45 * rng.nextFloat());
    const theta = new Float64Array(k);
    theta[0] = model.mean;
    theta[1] = variance * (1 - pers);
    const wa = Array.from({ length: c.p }, () => rng.nextOpenFloat());
    const wb = Array.from({ length: c.q }, () => rng.nextOpenFloat());
    const sa = wa.reduce((s, v) => s + v, 0);
    const sb = wb.reduce((s, v) => s + v, 0);
    wa.forEach((w, i) => {
      theta[2 + i] = (arch * w) / sa;
    });
    wb.forEach((w, j) => {
      theta[2 + c.p + j] = ((pers - arch) * w) / sb;
    });
    return theta;
  };
  const reference = referenceOptimum(
    {
      logLikelihood: (theta, grad) => evaluate(model, theta, grad),
      nonNegative: Array.from({ length: k }, (_, i) => i > 0),
      scale: [Math.sqrt(variance) * 0.1, variance * 0.1, ...Array<number>(k - 2).fill(0.1)],
      start,
    },
    12,
    c.seed,
    [fromParams(spec, c.truth)],
  );
  const label = `${JSON.stringify(c)}: ours ${fitted.logLikelihood}, reference ${reference.logLikelihood}`;
  expect(fitted.converged, label).toBe(true);
  expect(fitted.logLikelihood, label).toBeGreaterThanOrEqual(reference.logLikelihood - TOL);
}

const orders = fc.constantFrom([2, 1], [1, 2], [2, 2]);
const common = {
  n: fc.integer({ min: 800, max: 1600 }),
  init: fc.constantFrom("fcp" as const, "ewma" as const),
  seed: fc.nat({ max: 1_000_000 }),
};

describe("global search for GARCH(p,q) beyond (1,1): the reference optimum of an independent optimiser", () => {
  it("property: a lag whose true coefficient is 0", () => {
    fc.assert(
      fc.property(
        orders,
        fc.double({ min: 0.85, max: 0.97, noNaN: true }),
        fc.double({ min: 0.05, max: 0.2, noNaN: true }),
        fc.nat(),
        fc.record(common),
        ([p, q], pers, arch, zero, rest) => {
          const alpha = Array.from({ length: p! }, () => arch / p!);
          const beta = Array.from({ length: q! }, () => (pers - arch) / q!);
          // One coefficient of the larger group is 0 (its weight moved to the others).
          const group = p! > 1 && (q! === 1 || zero % 2 === 0) ? alpha : beta;
          const at = zero % group.length;
          const moved = group[at]!;
          group[at] = 0;
          group[(at + 1) % group.length]! += moved;
          checkAgainstReference({
            p: p!,
            q: q!,
            truth: { mu: 0.02, omega: 0.05 * (1 - pers), alpha, beta },
            ...rest,
          });
        },
      ),
      { numRuns: 5, seed: 20 },
    );
  }, 120_000);

  it("property: near-unit persistence", () => {
    fc.assert(
      fc.property(
        orders,
        fc.double({ min: 0.99, max: 0.999, noNaN: true }),
        fc.double({ min: 0.03, max: 0.12, noNaN: true }),
        fc.record(common),
        ([p, q], pers, arch, rest) => {
          checkAgainstReference({
            p: p!,
            q: q!,
            truth: {
              mu: 0,
              omega: 0.02 * (1 - pers),
              alpha: Array.from({ length: p! }, () => arch / p!),
              beta: Array.from({ length: q! }, () => (pers - arch) / q!),
            },
            ...rest,
          });
        },
      ),
      { numRuns: 5, seed: 21 },
    );
  }, 120_000);
});

describe("GARCH(1,1) with a weak ARCH effect: the reference optimum of an independent optimiser", () => {
  // Such series often have a second, higher maximum at alpha = 0 with beta near 1, which the
  // two best grid starts can both miss (start.ts, LOW_ARCH).
  it("property: alpha from 0.01 to 0.05", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.3, max: 0.95, noNaN: true }),
        fc.double({ min: 0.01, max: 0.05, noNaN: true }),
        fc.record({ ...common, n: fc.integer({ min: 500, max: 2000 }) }),
        (pers, arch, rest) => {
          checkAgainstReference({
            p: 1,
            q: 1,
            truth: { mu: 0.02, omega: 0.05, alpha: [arch], beta: [pers - arch] },
            ...rest,
          });
        },
      ),
      {
        numRuns: 12,
        seed: 22,
        // Seen to end 0.05 and 3.4 log-likelihood units short before the weak-ARCH starts.
        examples: [
          [0.3, 0.01, { n: 1081, init: "ewma", seed: 673596 }],
          [0.93, 0.03, { n: 1000, init: "ewma", seed: 1124 }],
        ],
      },
    );
  }, 120_000);
});

describe("the GARCH(2,2) local optimum of garch22-local-optimum.csv", () => {
  // GARCH(1,1) with t(7) shocks, simulated: the GARCH(2,2) likelihood (init fcp, positivity
  // bounds) has a local maximum at the GARCH(1,2) optimum (alpha[2] = 0, LL -6985.3713) and the
  // global one at -6983.5817 (data/README.md).
  const x = Float64Array.from(dataSeries("garch22-local-optimum.csv"));

  it("reaches the global maximum, converged", () => {
    const fitted = fit(x, { p: 2, q: 2, init: "fcp", stationarity: false });
    expect(fitted.converged).toBe(true);
    expect(fitted.logLikelihood).toBeGreaterThanOrEqual(-6983.5817);
    expect(fitted.params.beta[0]).toBeCloseTo(0.0084, 3);
    expect(fitted.activeConstraints).toEqual([]);
  });

  it("stops the runs heading for an optimum found within half a standard error of it", () => {
    const fitted = fit(x, { p: 2, q: 2, init: "fcp", stationarity: false });
    // 108 when runs went on to within 0.1 standard errors, to the same estimate; 94 while the
    // nested GARCH(2,1) and (1,2) ran every start, not their continuation alone.
    expect(fitted.iterations).toBe(72);
    expect(Math.abs(fitted.logLikelihood + 6983.581672830006)).toBeLessThan(1e-9 * 6983.6);
  });

  it("lands exactly on the bound of the nested GARCH(2,1), and says so", () => {
    const fitted = fit(x, { p: 2, q: 1, init: "fcp", stationarity: false });
    expect(fitted.converged).toBe(true);
    expect(fitted.params.alpha[1]).toBe(0);
    expect(fitted.activeConstraints).toEqual([{ name: "alpha[2]", side: "lower", bound: 0 }]);
    expect(fitted.stdErrors.robust.alpha[1]).toBeNaN();
    expect(fitted.stdErrors.robust.alpha[0]).toBeGreaterThan(0);
    expect(fitted.message).toMatch(/alpha\[2\] = 0 \(lower bound\)/);
    // At a KKT point on the bound the projected gradient vanishes (to rounding).
    expect(fitted.projectedGradient).toBeLessThan(1e-3);
  });
});

describe("a maximum beside one on a bound", () => {
  it("is reached: GARCH(2,2) of 5,000 simulated returns, optima at beta[1] = 0 and at 0.158", () => {
    // pnpm bench:garch-heldout's "sim (2,2)": the run heading for the higher optimum was stopped
    // as the same as the one on the bound, 0.019 lower (optimize/early-stop.ts, headsTo).
    const spec = checkSpec({ p: 2, q: 2 });
    const truth = { mu: 0.02, omega: 0.04, alpha: [0.07, 0.05], beta: [0.35, 0.5] };
    const x = simulate(spec, truth, 5000, { seed: 103 }).returns;
    const fitted = fit(x, { p: 2, q: 2, init: "fcp", stationarity: false });
    expect(fitted.converged).toBe(true);
    expect(fitted.logLikelihood).toBeGreaterThanOrEqual(-7269.8207);
    expect(fitted.params.beta[0]).toBeCloseTo(0.158, 3);
  });
});

describe("nested models of the search: continuation alone where it shows ARCH effects", () => {
  it("still reaches the reference optimum of a GARCH(3,3) with a lag at 0 in each group", () => {
    checkAgainstReference({
      p: 3,
      q: 3,
      truth: { mu: 0.02, omega: 0.01, alpha: [0.05, 0, 0.04], beta: [0.5, 0.35, 0] },
      n: 1500,
      init: "fcp",
      seed: 33,
    });
  }, 120_000);

  it("searches them whole near white noise: a GARCH(3,3)-t fit reaches the higher optimum", () => {
    // White noise with t shocks (data/README.md): run from their continuation starts alone, the
    // nested models led the search to a maximum at 224.3554 (converged, but lower).
    const noise = Float64Array.from(dataSeries("white-noise-garch33-t.csv"));
    const fitted = fit(noise, { p: 3, q: 3, dist: "t" });
    expect(fitted.converged).toBe(true);
    expect(fitted.logLikelihood).toBeGreaterThanOrEqual(226.1143);
  }, 60_000);
});

describe("the starts a nested optimum gives the larger model", () => {
  const spec = checkSpec({ p: 2, q: 2 });
  const nested = { ...spec, p: 1 };

  it("are three: the extra lag at 0, and half and all of the last lag's coefficient moved to it", () => {
    const theta = Float64Array.from([0.02, 0.05, 0.08, 0.5, 0.4]);
    const starts = embed(spec, nested, theta, "alpha").map((s) => Array.from(s));
    expect(starts).toEqual([
      [0.02, 0.05, 0.08, 0, 0.5, 0.4],
      [0.02, 0.05, 0.04, 0.04, 0.5, 0.4],
      [0.02, 0.05, 0, 0.08, 0.5, 0.4],
    ]);
  });

  it("are one where the last lag's coefficient is 0: the others would repeat it", () => {
    const theta = Float64Array.from([0.02, 0.05, 0, 0.5, 0.4]);
    expect(embed(spec, nested, theta, "alpha").map((s) => Array.from(s))).toEqual([
      [0.02, 0.05, 0, 0, 0.5, 0.4],
    ]);
  });
});
