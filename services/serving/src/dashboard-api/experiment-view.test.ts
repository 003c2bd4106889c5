import type { OutcomeRecord, PredictionRecordInput } from "@mlops/contracts";
import { irisExperiment, irisPrediction } from "@mlops/experiments/test-support";
import { Random } from "@mlops/garch/random";
import { openSqliteStore } from "@mlops/store";
import { describe, expect, it } from "vitest";
import { armInterval, experimentView } from "./experiment-view.js";
import { ExperimentViewSchema } from "./schemas.js";

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

  it("is null below two observations and where the store's sums lost the variance", () => {
    expect(armInterval("accuracy", { n: 1, mean: 1, variance: 0 }, ALPHA)).toBeNull();
    expect(
      armInterval("outcome_mean", { n: 1000, mean: 1e8, variance: Number.NaN }, ALPHA),
    ).toBeNull();
  });
});

describe("the cumulative lift under a user-hash split", () => {
  it("draws the band with the decision's per-user variance and says so", async () => {
    const store = openSqliteStore(":memory:");
    try {
      await store.experiments.create(irisExperiment("returning", { guardrails: [] }));
      // 150 users split by hash, each back a geometric number of times (mean 8) over an hour,
      // right 55 % or 95 % of the time depending on the user: correlated observations.
      const rng = new Random(4);
      const predictions: PredictionRecordInput[] = [];
      const outcomes: OutcomeRecord[] = [];
      for (let u = 0; u < 150; u++) {
        const variant = rng.nextFloat() < 0.5 ? "champion" : "challenger";
        const right = rng.nextFloat() < 0.5 ? 0.55 : 0.95;
        const requests = 1 + Math.floor(Math.log(1 - rng.nextFloat()) / Math.log(1 - 1 / 8));
        for (let j = 0; j < requests; j++) {
          const request_id = `r-${predictions.length}`;
          const timestamp = 1_700_000_000_000 + rng.nextInt(3_600_000);
          predictions.push(
            irisPrediction({
              request_id,
              experiment_id: "returning",
              variant,
              timestamp,
              user_id: `user-${u}`,
              assignment: "user-hash",
              challenger_weight: 50,
            }),
          );
          const outcome = rng.nextFloat() < right ? "a" : "b";
          outcomes.push({ request_id, outcome, timestamp: timestamp + 1000 });
        }
      }
      await store.predictions.insertMany(predictions);
      await store.outcomes.insertMany(outcomes);

      const view = ExperimentViewSchema.parse(await experimentView(store, "returning", 0));
      const analysis = view.analysis!;
      expect(analysis.lift_band!.independent).toBe("user");
      expect(analysis.lift_band!.design_effect.control).toBeGreaterThan(2);
      expect(analysis.lift_band!.design_effect.treatment).toBeGreaterThan(2);
      // The last look's band is the decision's always-valid interval, per user.
      const last = analysis.lift.at(-1)!;
      expect(last.ci[0]).toBeCloseTo(analysis.decision.ci![0], 10);
      expect(last.ci[1]).toBeCloseTo(analysis.decision.ci![1], 10);
    } finally {
      await store.close();
    }
  });
});
