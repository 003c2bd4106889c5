/**
 * Every logged prediction says what put it on its arm: this process's user hash in split mode,
 * the traffic split it was told it sits behind in single mode (with the weight it was given), and
 * `unknown` when a single-arm process was told nothing.
 */
import { type EnvRecord, PredictResponseSchema } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Fixture, json, openFixture, ROW as row } from "../../test-support/index.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(() => fixture.dispose());

/** Serves two predictions with `env`, closes the app (flushing the log), returns their records. */
async function logged(env: EnvRecord) {
  const app = await build(fixture, { MLOPS_CHALLENGER_WEIGHT: "30", ...env });
  const ids: string[] = [];
  for (const user of ["u-1", "u-2"]) {
    const res = await app.inject({ url: "/predict", ...json({ features: row, user_id: user }) });
    expect(res.statusCode, res.body).toBe(200);
    ids.push(PredictResponseSchema.parse(res.json()).request_id);
  }
  await app.close();
  return Promise.all(ids.map((id) => fixture.store.predictions.get(id)));
}

describe("the assignment recorded with each prediction", () => {
  it("is the user hash, at the configured weight, in split mode", async () => {
    for (const record of await logged({ MLOPS_EXPERIMENT_ID: "assign-split" })) {
      expect(record).toMatchObject({ assignment: "user-hash", challenger_weight: 30 });
    }
  });

  it.each([
    ["gateway", "gateway-weight"],
    ["nginx-canary", "nginx-canary-weight"],
  ])("is the %s split's weight in single mode behind it", async (split, assignment) => {
    const records = await logged({
      MLOPS_EXPERIMENT_ID: `assign-${split}`,
      MLOPS_MODE: "single",
      MLOPS_VARIANT: "challenger",
      MLOPS_TRAFFIC_SPLIT: split,
    });
    for (const record of records) {
      expect(record).toMatchObject({ variant: "challenger", assignment, challenger_weight: 30 });
    }
  });

  it("is unknown, without a weight, for a single-arm process told no traffic split", async () => {
    const records = await logged({
      MLOPS_EXPERIMENT_ID: "assign-untold",
      MLOPS_MODE: "single",
      MLOPS_VARIANT: "champion",
    });
    for (const record of records) {
      expect(record).toMatchObject({ assignment: "unknown", challenger_weight: null });
    }
  });
});
