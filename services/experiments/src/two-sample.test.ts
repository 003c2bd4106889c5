import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectMatchesR, R } from "../test-support/r-reference.js";
import { ExperimentsInputError } from "./errors.js";
import { momentsOf, summarize } from "./moments.js";
import {
  relativeLift,
  twoProportionZTest,
  welchTTest,
  welchTTestFromSummary,
} from "./two-sample.js";

const TOL = 1e-10;

describe("welchTTest against R t.test(b, a)", () => {
  it.each(R.welch.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const r = welchTTest(c.a, c.b, { confidence: c.confidence });
    expectMatchesR(r, c, ["t", "df", "pValue", "ci", "diff"], TOL);
  });

  it("gives the same answer from sufficient statistics as from the raw samples", () => {
    const c = R.welch[2]!;
    const fromSummary = welchTTestFromSummary(
      summarize(momentsOf(c.a)),
      summarize(momentsOf(c.b)),
      { confidence: c.confidence },
    );
    expect(fromSummary).toEqual(welchTTest(c.a, c.b, { confidence: c.confidence }));
  });

  it("is antisymmetric: swapping the arms negates t, diff and the interval", () => {
    const value = fc.integer({ min: -100_000, max: 100_000 }).map((k) => k / 100);
    const sample = fc.array(value, {
      minLength: 2,
      maxLength: 30,
    });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        fc.pre(new Set(a).size > 1 || new Set(b).size > 1);
        const ab = welchTTest(a, b);
        const ba = welchTTest(b, a);
        expect(ba.t).toBeCloseTo(-ab.t, 9);
        expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
        expect(ba.ci[0]).toBeCloseTo(-ab.ci[1], 6);
        expect(ab.pValue).toBeGreaterThanOrEqual(0);
        expect(ab.pValue).toBeLessThanOrEqual(1);
        expect(ab.ci[0]).toBeLessThanOrEqual(ab.diff);
        expect(ab.ci[1]).toBeGreaterThanOrEqual(ab.diff);
      }),
    );
  });

  it("gives the same t, df and p-value in any unit, up to outcomes near 1e100", () => {
    const c = R.welch[2]!;
    const base = welchTTest(c.a, c.b);
    for (const unit of [1e-100, 1e-20, 1e20, 1e90]) {
      const r = welchTTest(
        c.a.map((x) => x * unit),
        c.b.map((x) => x * unit),
      );
      expect(r.t).toBeCloseTo(base.t, 9);
      expect(r.df).toBeCloseTo(base.df, 9);
      expect(r.pValue).toBeCloseTo(base.pValue, 12);
      expect(r.ci[1] / unit).toBeCloseTo(base.ci[1], 9);
    }
  });

  it.each([
    [[], [1, 2], "a: must not be empty"],
    [[1], [1, 2], "a: needs at least 2 observations, got 1"],
    [[1, 2], [1, Number.NaN], "b[1]: must be a finite number, got NaN"],
    [[1, Number.POSITIVE_INFINITY], [1, 2], "a[1]: must be a finite number, got Infinity"],
    [[3, 3], [5, 5], "a, b: must not both have zero variance"],
  ])("rejects %j vs %j: %s", (a, b, message) => {
    expect(() => welchTTest(a, b)).toThrow(ExperimentsInputError);
    expect(() => welchTTest(a, b)).toThrow(message);
  });

  it("rejects a confidence outside (0, 1), naming the option", () => {
    expect(() => welchTTest([1, 2], [3, 4], { confidence: 95 })).toThrow(
      "opts.confidence: must lie in (0, 1), got 95",
    );
  });
});

describe("relativeLift (delta method) against the same formula in R", () => {
  it.each(R.lift.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const r = relativeLift(c.a, c.b, { confidence: c.confidence });
    expectMatchesR(r, c, ["lift", "se", "ci", "pValue"], TOL);
  });

  it("rejects summaries with fewer than 2 observations or a negative variance", () => {
    const b = { n: 10, mean: 1, variance: 1 };
    expect(() => relativeLift({ n: 1, mean: 1, variance: 0 }, b)).toThrow(
      "a.n: needs at least 2 observations, got 1",
    );
    expect(() => welchTTestFromSummary(b, { n: 5, mean: 1, variance: -1 })).toThrow(
      "b.variance: must be ≥ 0, got -1",
    );
  });

  it("rejects a zero baseline mean", () => {
    expect(() =>
      relativeLift({ n: 10, mean: 0, variance: 1 }, { n: 10, mean: 1, variance: 1 }),
    ).toThrow("a.mean: must not be 0 for a relative lift");
  });
});

describe("twoProportionZTest against R prop.test(correct = FALSE)", () => {
  it.each(R.proportions.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const r = twoProportionZTest(c.a, c.b, { confidence: c.confidence });
    expectMatchesR(r, c, ["z", "pValue", "ci", "diff"], TOL);
  });

  it.each([
    [{ successes: 5, trials: 4 }, "a.successes: must not exceed a.trials (4), got 5"],
    [{ successes: -1, trials: 4 }, "a.successes: must be ≥ 0, got -1"],
    [{ successes: 1.5, trials: 4 }, "a.successes: must be a whole number, got 1.5"],
    [{ successes: 0, trials: 0 }, "a.trials: needs at least 1 trial, got 0"],
  ])("rejects arm a = %j", (a, message) => {
    expect(() => twoProportionZTest(a, { successes: 1, trials: 2 })).toThrow(message);
  });
});
