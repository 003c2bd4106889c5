import { describe, it } from "vitest";
import { expectClose, R } from "../test-support/r-reference.js";
import { chiSquareSf, normalQuantile, tQuantile, tTwoSidedP } from "./distributions.js";

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
