import type { OutcomeRecord, PredictionRecordInput } from "@mlops/contracts";
import { Random } from "@mlops/garch/random";
import { openSqliteStore, type Store } from "@mlops/store";
import { afterEach, describe, expect, it } from "vitest";
import { irisExperiment, irisPrediction } from "../test-support/index.js";
import { analyzeExperiment } from "./analyze.js";
import { liftDesignEffects, readLiftPath } from "./lift-history.js";
import { liftPath } from "./lift-path.js";

let store: Store;
afterEach(async () => {
  await store.close();
});

/**
 * An A/A with returning users: 400 users split 50/50, each making a geometric number of requests
 * (mean 8) spread over the period, right 55 % or 95 % of the time depending on the user; split by
 * a hash of the user, or with what assigned them unrecorded.
 */
async function returningUsers(id: string, byUser: boolean): Promise<void> {
  await store.experiments.create(irisExperiment(id, { guardrails: [] }));
  const rng = new Random(21);
  const T0 = 1_700_000_000_000;
  const predictions: PredictionRecordInput[] = [];
  const outcomes: OutcomeRecord[] = [];
  for (let u = 0; u < 400; u++) {
    const variant = rng.nextFloat() < 0.5 ? "champion" : "challenger";
    const right = rng.nextFloat() < 0.5 ? 0.55 : 0.95;
    const requests = 1 + Math.floor(Math.log(1 - rng.nextFloat()) / Math.log(1 - 1 / 8));
    for (let j = 0; j < requests; j++) {
      const request_id = `${id}-${predictions.length}`;
      const timestamp = T0 + rng.nextInt(3_600_000);
      predictions.push(
        irisPrediction({
          request_id,
          experiment_id: id,
          variant,
          timestamp,
          user_id: `user-${u}`,
          ...(byUser ? { assignment: "user-hash" as const, challenger_weight: 50 } : {}),
        }),
      );
      outcomes.push({
        request_id,
        outcome: rng.nextFloat() < right ? "a" : "b",
        timestamp: timestamp + 1000,
      });
    }
  }
  await store.predictions.insertMany(predictions);
  await store.outcomes.insertMany(outcomes);
}

describe("readLiftPath under a user-hash split", () => {
  it("draws the band with the decision's per-user variance: its last look is the decision's interval", async () => {
    store = openSqliteStore(":memory:");
    await returningUsers("returning", true);
    const analysis = await analyzeExperiment(store, "returning");
    const primary = analysis.result.primary!;
    expect(primary.independent).toBe("user");
    const deff = liftDesignEffects(primary);
    // Users who come back with correlated outcomes: each arm's Var(mean) is several times the
    // per-observation one.
    expect(deff.control).toBeGreaterThan(2);
    expect(deff.treatment).toBeGreaterThan(2);

    const path = (await readLiftPath(store, analysis, { points: 20 }))!;
    const last = path.at(-1)!;
    const decided = primary.sequential;
    expect(last.observations).toBe(primary.control.n + primary.treatment.n);
    expect(last.diff).toBeCloseTo(decided.diff, 12);
    expect(last.ci[0]).toBeCloseTo(decided.ci[0], 10);
    expect(last.ci[1]).toBeCloseTo(decided.ci[1], 10);

    // Per observation, the band at the last look would be far narrower than the decision's.
    const joined = async (variant: string) => {
      const out: { t: number; x: number }[] = [];
      for await (const p of store.predictions.joined({ experiment_id: "returning", variant })) {
        out.push({ t: p.timestamp, x: p.prediction === p.outcome ? 1 : 0 });
      }
      return out;
    };
    const perObservation = liftPath(await joined("champion"), await joined("challenger"), {
      tau2: decided.tau2,
      minSamplePerArm: 100,
      points: 20,
    }).at(-1)!;
    const width = (ci: readonly [number, number]) => ci[1] - ci[0];
    expect(width(decided.ci) / width(perObservation.ci)).toBeGreaterThan(1.3);
  });

  it("keeps the per-observation band where observations are the unit", async () => {
    store = openSqliteStore(":memory:");
    await returningUsers("unrecorded", false);
    const analysis = await analyzeExperiment(store, "unrecorded");
    const primary = analysis.result.primary!;
    expect(primary.independent).toBe("observation");
    expect(liftDesignEffects(primary)).toEqual({ control: 1, treatment: 1 });
    const last = (await readLiftPath(store, analysis, { points: 20 }))!.at(-1)!;
    expect(last.ci[0]).toBeCloseTo(primary.sequential.ci[0], 10);
    expect(last.ci[1]).toBeCloseTo(primary.sequential.ci[1], 10);
  });
});
