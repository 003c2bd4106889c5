import { describe, expect, it } from "vitest";
import { armInterval } from "./experiment-view.js";

const ALPHA = 0.05;

describe("the per-arm interval of the primary metric", () => {
  it("keeps accuracy within [0, 1] with Wilson's interval, where Wald's leaves it", () => {
    // One right and one wrong: Wald's would be [−0.48, 1.48].
    const [lo, hi] = armInterval("accuracy", { n: 2, mean: 0.5, variance: 0.5 }, ALPHA)!;
    expect(lo).toBeCloseTo(0.0945, 4);
    expect(hi).toBeCloseTo(0.9055, 4);
    // All right: not the point [1, 1] but a range reaching below (R: prop.test(10, 10, correct = FALSE)).
    const all = armInterval("accuracy", { n: 10, mean: 1, variance: 0 }, ALPHA)!;
    expect(all[0]).toBeCloseTo(0.7225, 4);
    expect(all[1]).toBe(1);
    const none = armInterval("accuracy", { n: 10, mean: 0, variance: 0 }, ALPHA)!;
    expect(none[0]).toBe(0);
    expect(none[1]).toBeCloseTo(0.2775, 4);
    for (let n = 2; n < 40; n++) {
      for (let k = 0; k <= n; k++) {
        const mean = k / n;
        const ci = armInterval(
          "accuracy",
          { n, mean, variance: (mean * (1 - mean) * n) / (n - 1) },
          ALPHA,
        )!;
        expect(ci[0]).toBeGreaterThanOrEqual(0);
        expect(ci[1]).toBeLessThanOrEqual(1);
        expect(ci[0]).toBeLessThanOrEqual(mean);
        expect(ci[1]).toBeGreaterThanOrEqual(mean);
      }
    }
  });

  it("keeps log loss from going below 0 and leaves a numeric outcome's interval as it is", () => {
    const summary = { n: 4, mean: 0.5, variance: 4 };
    // mean ± 1.96 · 2/2
    expect(armInterval("log_loss", summary, ALPHA)).toEqual([0, expect.closeTo(2.46, 2)]);
    const [lo, hi] = armInterval("outcome_mean", summary, ALPHA)!;
    expect(lo).toBeCloseTo(-1.46, 2);
    expect(hi).toBeCloseTo(2.46, 2);
  });

  it("is null below two observations", () => {
    expect(armInterval("accuracy", { n: 1, mean: 1, variance: 0 }, ALPHA)).toBeNull();
  });
});
