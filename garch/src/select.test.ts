import { describe, expect, it } from "vitest";
import { GarchInputError } from "./errors.js";
import { bestCandidate, checkSelection, type SelectOptions, selectOrder } from "./select.js";
import { simulate } from "./simulate.js";
import { checkSpec } from "./spec.js";

const truth = { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] };
const normal2000 = simulate(checkSpec({}), truth, 2000, { seed: 1 }).returns;

describe("selectOrder", () => {
  it("picks GARCH(1,1) by BIC on a simulated GARCH(1,1) series, listing the whole grid", () => {
    const { best, candidates } = selectOrder(normal2000);
    expect([best.spec.p, best.spec.q, best.spec.dist]).toEqual([1, 1, "normal"]);
    expect(candidates.map((c) => [c.p, c.q, c.dist])).toEqual([
      [1, 1, "normal"],
      [1, 2, "normal"],
      [2, 1, "normal"],
      [2, 2, "normal"],
    ]);
    for (const c of candidates) {
      expect(c.converged).toBe(true);
      expect(c.bic).toBeGreaterThanOrEqual(best.bic);
      expect(c.aic).toBeCloseTo(-2 * c.logLikelihood + 2 * (2 + c.p + c.q), 6);
    }
    expect(candidates[0]!.bic).toBe(best.bic);
  });

  it("prefers Student-t innovations on data simulated with t(5) innovations", () => {
    const x = simulate(checkSpec({ dist: "t" }), { ...truth, nu: 5 }, 2000, { seed: 2 }).returns;
    const { best, candidates } = selectOrder(x, { maxP: 1, maxQ: 1, dists: ["normal", "t"] });
    expect(best.spec.dist).toBe("t");
    expect(candidates.map((c) => c.dist)).toEqual(["normal", "t"]);
    expect(candidates[1]!.bic).toBeLessThan(candidates[0]!.bic);
  });

  it("passes base options to every candidate and lets the grid set p, q and dist", () => {
    const { best } = selectOrder(normal2000, {
      maxP: 1,
      maxQ: 1,
      criterion: "aic",
      base: { p: 3, q: 3, dist: "t", mean: "zero", init: "ewma" },
    });
    expect(best.spec).toMatchObject({
      p: 1,
      q: 1,
      dist: "normal",
      mean: { kind: "zero" },
      init: { kind: "ewma" },
    });
  });

  it("lists a candidate that cannot be fitted instead of throwing, and still selects", () => {
    // 60 observations: GARCH(1,0) (3 parameters) needs 31, GARCH(4,3) (9 parameters) needs 94.
    const short = normal2000.slice(0, 60);
    const { best, candidates } = selectOrder(short, { maxP: 4, minQ: 0, maxQ: 3 });
    const big = candidates.find((c) => c.p === 4 && c.q === 3)!;
    expect(big.converged).toBe(false);
    expect(big.message).toMatch(/TOO_SHORT/);
    expect(big.bic).toBeNaN();
    expect(best.converged).toBe(true);
  });

  it("reports each candidate as it is fitted", () => {
    const seen: string[] = [];
    const { candidates } = selectOrder(normal2000, {
      maxP: 2,
      maxQ: 1,
      onCandidate: (done, total, c) => seen.push(`${done}/${total} (${c.p},${c.q})`),
    });
    expect(seen).toEqual(["1/2 (1,1)", "2/2 (2,1)"]);
    expect(candidates).toHaveLength(2);
    expect(() => selectOrder(normal2000, { onCandidate: 3 as never })).toThrow(
      /onCandidate must be a function/,
    );
  });

  it("throws when no candidate converged", () => {
    // One optimiser iteration is far too few for GARCH(2,2) (GARCH(1,1) is warm-started close to
    // its optimum and can finish in one).
    const grid = { minP: 2, maxP: 2, minQ: 2, maxQ: 2 };
    const call = () => selectOrder(normal2000, { ...grid, base: { maxIterations: 1 } });
    expect(call).toThrow(GarchInputError);
    expect(call).toThrow(/none of the 1 candidate models converged/);
    expect(() => call()).toThrow(expect.objectContaining({ code: "NO_CONVERGENCE" }));
  });

  it.each<[string, SelectOptions, string, RegExp]>([
    ["maxP 0", { maxP: 0 }, "INVALID_ORDER", /maxP must be an integer from 1 to 20/],
    [
      "minP > maxP",
      { minP: 3, maxP: 2 },
      "INVALID_ORDER",
      /maxP must be an integer from 3 to 20 \(got 2\)/,
    ],
    ["minP 1.5", { minP: 1.5 }, "INVALID_ORDER", /minP must be an integer/],
    ["minQ -1", { minQ: -1 }, "INVALID_ORDER", /minQ must be an integer from 0 to 20/],
    ["maxQ 21", { maxQ: 21 }, "INVALID_ORDER", /maxQ must be an integer from 1 to 20/],
    ["no dists", { dists: [] }, "INVALID_OPTION", /dists must be a non-empty array of distinct/],
    [
      "a repeated dist",
      { dists: ["t", "t"] },
      "INVALID_OPTION",
      /dists must be a non-empty array of distinct/,
    ],
    [
      "an unknown dist",
      { dists: ["cauchy" as "t"] },
      "INVALID_OPTION",
      /dist must be one of normal, t, skewt, ged/,
    ],
    [
      "criterion hqic",
      { criterion: "hqic" as "aic" },
      "INVALID_OPTION",
      /criterion must be "aic" or "bic"/,
    ],
    [
      "a bad base option",
      { base: { init: -1 } },
      "INVALID_OPTION",
      /init as a fixed pre-sample variance must be a finite number > 0/,
    ],
    [
      "a base that is not an object",
      { base: 5 as unknown as object },
      "INVALID_OPTION",
      /base must be an object of fit options \(got 5\)/,
    ],
    ["an unknown option", { maxR: 1 } as SelectOptions, "INVALID_OPTION", /unknown option "maxR"/],
  ])("rejects %s", (_, options, code, message) => {
    for (const check of [selectOrder, checkSelection]) {
      const call = () => check(normal2000, options);
      expect(call).toThrow(message);
      expect(call).toThrow(expect.objectContaining({ code }));
    }
  });

  it("checks a selection without fitting it, filling in the defaults", () => {
    expect(checkSelection(normal2000, { maxP: 3, dists: ["t"] })).toEqual({
      minP: 1,
      maxP: 3,
      minQ: 1,
      maxQ: 2,
      criterion: "bic",
      dists: ["t"],
      base: {},
      onCandidate: undefined,
    });
    // The series against the smallest model: too short for GARCH(1,1) with t errors.
    expect(() => checkSelection(normal2000.slice(0, 20), { dists: ["t"] })).toThrow(
      expect.objectContaining({ code: "TOO_SHORT" }),
    );
  });

  it("rejects a bad series once, with the series error", () => {
    const x = Array.from(normal2000);
    x[7] = Number.NaN;
    expect(() => selectOrder(x)).toThrow(/returns\[7\] is NaN/);
    expect(() => selectOrder([])).toThrow(/returns is empty/);
    expect(() => selectOrder(new Array(500).fill(0.3))).toThrow(/returns is constant/);
  });
});

describe("bestCandidate", () => {
  const c = (bic: number, numParams: number, converged = true) => ({
    converged,
    aic: bic,
    bic,
    numParams,
  });

  it("takes the lowest criterion among converged candidates with finite values", () => {
    expect(bestCandidate([c(10, 3), c(5, 4, false), c(Number.NaN, 2), c(8, 5)], "bic")).toBe(3);
  });

  it("breaks ties by fewer parameters, then by order", () => {
    expect(bestCandidate([c(7, 5), c(7, 4), c(7, 4)], "bic")).toBe(1);
  });

  it("returns -1 when nothing converged", () => {
    expect(bestCandidate([c(1, 3, false)], "aic")).toBe(-1);
    expect(bestCandidate([], "aic")).toBe(-1);
  });
});
