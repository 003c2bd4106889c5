import { describe, expect, it } from "vitest";
import { expectClose, R } from "../test-support/r-reference.js";
import { ExperimentsInputError } from "./errors.js";
import { MAX_SRM_ARMS, srmTest } from "./srm.js";

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

  it("compares at most MAX_SRM_ARMS arms, where its chi-squared tail is verified", () => {
    const arms = (k: number) => Array.from({ length: k }, (_, i) => 1000 + i);
    const most = srmTest(arms(MAX_SRM_ARMS), Array(MAX_SRM_ARMS).fill(1));
    expect(most.df).toBe(MAX_SRM_ARMS - 1);
    // Beyond it stdlib's incomplete gamma is off by up to 1e-2 (k = 1e4 at p = 0.5).
    expect(() => srmTest(arms(MAX_SRM_ARMS + 1), Array(MAX_SRM_ARMS + 1).fill(1))).toThrow(
      `counts: must have at most ${MAX_SRM_ARMS} arms, got ${MAX_SRM_ARMS + 1}`,
    );
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
