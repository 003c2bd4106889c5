import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectClose, R } from "../test-support/r-reference.js";
import {
  chiSquareSf,
  normalCritical,
  normalQuantile,
  tCritical,
  tQuantile,
  tTwoSidedP,
} from "./distributions.js";
import precise from "./distributions.mpmath.json" with { type: "json" };
import { welchTTestFromSummary } from "./two-sample.js";

describe("distribution functions against R", () => {
  it("t lower tail (as half the two-sided p of a negative t) to 1e-12", () => {
    for (const c of R.distributions.pt) {
      expectClose(tTwoSidedP(c.x, c.df) / 2, c.p, 1e-12, `pt(${c.x}, ${c.df})`);
    }
  });

  it("t quantiles to 1e-12", () => {
    for (const c of R.distributions.qt) {
      expectClose(tQuantile(c.p, c.df), c.q, 1e-12, `qt(${c.p}, ${c.df})`);
    }
  });

  it("chi-squared upper tails to 1e-12, including p far below machine epsilon", () => {
    for (const c of R.distributions.chisq) {
      expectClose(chiSquareSf(c.x, c.df), c.sf, 1e-12, `pchisq(${c.x}, ${c.df})`);
    }
  });

  it("normal quantiles to 1e-12", () => {
    for (const c of R.distributions.qnorm) {
      expectClose(normalQuantile(c.p), c.q, 1e-12, `qnorm(${c.p})`);
    }
  });
});

describe("distribution functions against 40-digit values (distributions.mpmath.py)", () => {
  it("t quantiles to 1e-12 for df 1 to 3e11 and p from 1e-300 to within 1e-14 of 0.5", () => {
    // stdlib's quantile returned 0 near 0.5 (t² below about 1e-16·df) and Infinity past 1e154.
    for (const c of precise.tQuantile) {
      expectClose(tQuantile(c.p, c.df), c.q, 1e-12, `qt(${c.p}, ${c.df})`);
    }
  });

  it("two-sided t critical values to 1e-12 for any confidence, given as confidence and alpha", () => {
    // 0.5 + confidence/2 rounded away a small alpha's digits: 2e-5 off at alpha 2e-12, df 1.
    for (const c of precise.tCritical) {
      const level = { confidence: c.confidence, alpha: 1 - c.confidence };
      expectClose(tCritical(level, c.df), c.t, 1e-12, `t(${c.confidence}, ${c.df})`);
    }
  });

  it("chi-squared upper tails to 1e-10 up to 129 degrees of freedom, down to 1e-300", () => {
    for (const c of precise.chiSquareSf) {
      expectClose(chiSquareSf(c.x, c.k), c.sf, 1e-10, `pchisq(${c.x}, ${c.k})`);
    }
  });

  it("gives t critical values whose two-sided p-value is the level's alpha", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -12, max: Math.log10(0.999), noNaN: true }),
        fc.double({ min: 0, max: 9, noNaN: true }),
        (logAlpha, logDf) => {
          const alpha = 10 ** logAlpha;
          const df = 10 ** logDf;
          const t = tCritical({ confidence: 1 - alpha, alpha }, df);
          expectClose(tTwoSidedP(t, df), alpha, 1e-9, `alpha ${alpha}, df ${df}`);
          // More degrees of freedom, thinner tails.
          expect(tCritical({ confidence: 1 - alpha, alpha }, 2 * df)).toBeLessThanOrEqual(t);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives normal critical values near 0 from the confidence, far out from alpha", () => {
    // √2·erfinv(1e-10), 40 digits: 1.25331413731550025121…e-10.
    expectClose(
      normalCritical({ confidence: 1e-10, alpha: 1 - 1e-10 }),
      1.2533141373155003e-10,
      1e-14,
    );
    expectClose(
      normalCritical({ confidence: 1 - 2e-12, alpha: 2e-12 }),
      -normalQuantile(1e-12),
      1e-15,
    );
  });

  it("puts a Welch interval at a tiny alpha where the exact quantile says", () => {
    const a = { n: 3, mean: 0, variance: 1 };
    const b = { n: 3, mean: 1, variance: 1 };
    const welch = welchTTestFromSummary(a, b, { alpha: 2e-12 });
    // df = 4; the 1 − 1e-12 quantile of t(4), 40 digits: 1316.07274655925653577…
    const half = (welch.ci[1] - welch.ci[0]) / 2;
    expectClose(half / welch.se, 1316.0727465592565, 1e-12);
    expect(() => welchTTestFromSummary(a, b, { alpha: 0.01, confidence: 0.99 })).toThrow(
      "opts.alpha: must not be given with opts.confidence (one sets the other)",
    );
  });
});
