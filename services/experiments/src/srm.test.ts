import { describe, expect, it } from "vitest";
import { expectClose, R } from "../test-support/r-reference.js";
import { ExperimentsInputError } from "./errors.js";
import { srmTest } from "./srm.js";

describe("srmTest against R chisq.test(counts, p = weights / sum(weights))", () => {
  it.each(R.srm.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    const r = srmTest(c.counts, c.weights);
    expectClose(r.chi2, c.chi2, 1e-12, "chi2");
    expectClose(r.pValue, c.pValue, 1e-10, "pValue");
    expect(r.df).toBe(c.counts.length - 1);
    expect(r.mismatch).toBe(c.pValue < 0.001);
  });

  it("flags at a configurable threshold", () => {
    const counts = [5100, 4900];
    expect(srmTest(counts, [1, 1]).mismatch).toBe(false);
    expect(srmTest(counts, [1, 1], { threshold: 0.1 }).mismatch).toBe(true);
  });

  it.each([
    [[], [], "counts: must not be empty"],
    [[10], [1], "counts: needs at least 2 arms, got 1"],
    [[10, 10], [1], "weights: must have as many entries as counts (2), got 1"],
    [[10, -1], [1, 1], "counts[1]: must be ≥ 0, got -1"],
    [[10, 2.5], [1, 1], "counts[1]: must be a whole number, got 2.5"],
    [[10, 10], [1, 0], "weights[1]: must be > 0, got 0"],
    [[10, 10], [Number.NaN, 1], "weights[0]: must be a finite number, got NaN"],
    [[0, 0], [1, 1], "counts: must not all be 0"],
  ])("rejects counts %j with weights %j", (counts, weights, message) => {
    expect(() => srmTest(counts, weights)).toThrow(ExperimentsInputError);
    expect(() => srmTest(counts, weights)).toThrow(message);
  });
});
