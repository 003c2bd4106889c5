/**
 * `GET /ab-test/stats` says which configurations assigned the experiment's predictions and reads
 * its analysis from the current one only, checked against the response schema.
 */
import { AbStatsResponseSchema, type PredictionRecordInput } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Fixture, openFixture } from "../../test-support/index.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(() => fixture.dispose());

const T0 = 1_700_000_000_000;

/**
 * `n` predictions from `start` on, a tenth to the challenger, every user on both arms once per
 * ten requests (so users cross arms, as under a per-request split).
 */
function traffic(
  experiment: string,
  start: number,
  n: number,
  assignment: Pick<PredictionRecordInput, "assignment" | "challenger_weight">,
): PredictionRecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    request_id: `${experiment}-${start}-${i}`,
    experiment_id: experiment,
    variant: i % 10 === 0 ? "challenger" : "champion",
    model_name: "classifier",
    model_version: i % 10 === 0 ? 2 : 1,
    user_id: `user-${i % 7}`,
    prediction: "1",
    probabilities: { "0": 0.2, "1": 0.8 },
    latency_ms: 2,
    status: "ok",
    timestamp: start + i,
    ...assignment,
  }));
}

describe("GET /ab-test/stats", () => {
  it("reports the mix of configurations and analyses the current one's period only", async () => {
    const id = "stats-mixed";
    // Earlier: the API's own split at 50 %; now: the gateway at 10 % (which the split follows).
    await fixture.store.predictions.insertMany([
      ...traffic(id, T0, 200, { assignment: "user-hash", challenger_weight: 50 }),
      ...traffic(id, T0 + 1000, 300, { assignment: "gateway-weight", challenger_weight: 10 }),
    ]);
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: id });
    const res = await app.inject({ url: "/ab-test/stats" });
    expect(res.statusCode).toBe(200);
    const stats = AbStatsResponseSchema.parse(res.json());
    // All of the experiment's predictions, whatever assigned them.
    expect(stats.variants.map((v) => v.count)).toEqual([450, 50]);
    const { assignment } = stats;
    expect(assignment.mixed).toBe(true);
    expect(
      assignment.configurations.map((c) => [c.assignment, c.challenger_weight, c.total, c.share]),
    ).toEqual([
      ["gateway-weight", 10, 300, 0.6],
      ["user-hash", 50, 200, 0.4],
    ]);
    // The old period at 50 % saw 10 %: a mismatch against its own weight, not the current one's.
    expect(assignment.configurations.map((c) => c.srm?.mismatch)).toEqual([false, true]);
    expect(assignment.current).toEqual({
      assignment: "gateway-weight",
      challenger_weight: 10,
      unit: "request",
      from: T0 + 1000,
      users_in_several_arms: 7,
    });
    expect(assignment.notes.join("\n")).toMatch(/mixes 2 configurations .* not pooled/);
    expect(assignment.notes.join("\n")).toMatch(/7 users were seen on more than one arm/);
    // The current period's split against its configured 10 %: no mismatch.
    expect(stats.analysis).toMatchObject({ srm: { mismatch: false } });
  });

  it("reports one configuration, not mixed, for an experiment served by one", async () => {
    const id = "stats-single";
    await fixture.store.predictions.insertMany(
      traffic(id, T0, 100, { assignment: "user-hash", challenger_weight: 10 }),
    );
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: id });
    const stats = AbStatsResponseSchema.parse((await app.inject({ url: "/ab-test/stats" })).json());
    expect(stats.assignment).toMatchObject({
      mixed: false,
      current: { assignment: "user-hash", unit: "user", users_in_several_arms: null },
    });
    expect(stats.assignment.configurations).toHaveLength(1);
  });
});
