/**
 * `GET /ab-test/stats` says which configurations assigned the experiment's predictions and reads
 * its analysis from the current one only, checked against the response schema. `POST /feedback`
 * takes only outcomes the served classifier could have predicted, or numbers. Neither route
 * takes a query parameter, and each publishes the codes it answers with.
 */
import { createHash } from "node:crypto";
import { AbStatsResponseSchema, type PredictionRecordInput } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Fixture, json, openFixture, ROW } from "../../test-support/index.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(() => fixture.dispose());

const T0 = 1_700_000_000_000;

/**
 * `n` predictions from `start` on, a tenth to the challenger: under a user-hash split one user
 * per prediction, else 7 users on both arms (so users cross arms, as under a per-request split).
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
    // A user-hash split keeps each user on one arm; the per-request splits mix 7 users' arms.
    user_id: assignment.assignment === "user-hash" ? `user-${start}-${i}` : `user-${i % 7}`,
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

  it("checks a user-hash split on its users, not on how often each came back", async () => {
    const id = "stats-users";
    // 50 users on each arm; the champion's came back five times each, the challenger's once.
    const records = Array.from({ length: 100 }, (_, u) => u).flatMap((u) =>
      Array.from({ length: u % 2 === 0 ? 1 : 5 }, (_, k) => ({
        ...traffic(id, T0 + u * 10 + k, 1, { assignment: "user-hash", challenger_weight: 50 })[0]!,
        request_id: `${id}-${u}-${k}`,
        variant: u % 2 === 0 ? "challenger" : "champion",
        user_id: `u-${u}`,
      })),
    );
    await fixture.store.predictions.insertMany(records);
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: id });
    const stats = AbStatsResponseSchema.parse((await app.inject({ url: "/ab-test/stats" })).json());
    expect(stats.variants.map((v) => v.count)).toEqual([250, 50]);
    expect(stats.analysis).toMatchObject({
      srm: { mismatch: false, counted: "units", expected: [50, 50] },
    });
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

describe("POST /feedback", () => {
  it("refuses a label that is not a class of the served classifier, naming outcome and the classes", async () => {
    const app = await build(fixture);
    const { request_id } = (
      await app.inject({ url: "/predict", ...json({ features: ROW }) })
    ).json();
    const res = await app.inject({ url: "/feedback", ...json({ request_id, outcome: "7" }) });
    expect(res.statusCode).toBe(400);
    const rule = `must be one of the served classifier's classes ("0", "1"), or a number for a numeric outcome`;
    expect(res.json()).toMatchObject({
      error: "VALIDATION_FAILED",
      issues: [{ path: "outcome", message: rule }],
    });
    expect(await fixture.store.outcomes.get(request_id)).toBeNull();
    // A class, and a number (a class's or a numeric outcome's), are taken.
    for (const outcome of ["1", 0, 12.5]) {
      const taken = await app.inject({ url: "/feedback", ...json({ request_id, outcome }) });
      expect(taken.statusCode, JSON.stringify(outcome)).toBe(202);
    }
  });
});

describe("query parameters and published codes", () => {
  it("refuses a query parameter neither route reads, naming it", async () => {
    const app = await build(fixture);
    const stats = await app.inject({ url: "/ab-test/stats?experiment_id=other" });
    expect(stats.statusCode).toBe(400);
    expect(stats.json().message).toContain('Unrecognized key: "experiment_id"');
    const feedback = await app.inject({
      url: "/feedback?dry_run=1",
      ...json({ request_id: "r-1", outcome: "1" }),
    });
    expect(feedback.statusCode).toBe(400);
    expect(feedback.json().message).toContain('Unrecognized key: "dry_run"');
    expect((await app.inject({ url: "/ab-test/stats" })).statusCode).toBe(200);
  });

  it("publishes the codes the routes answer with, 401 and 403 under MLOPS_AUTH included", async () => {
    const hash = createHash("sha256").update("k").digest("hex");
    const app = await build(fixture, { MLOPS_API_KEY_SHA256: hash });
    const unauthorized = await app.inject({
      url: "/feedback",
      ...json({ request_id: "r-1", outcome: "1" }),
    });
    expect(unauthorized.statusCode).toBe(401);
    const { paths } = app.swagger();
    const codes = (path: string, method: "get" | "post") =>
      Object.keys(paths?.[path]?.[method]?.responses ?? {}).sort();
    expect(codes("/feedback", "post")).toEqual(["202", "400", "401", "403", "429", "503"]);
    expect(codes("/ab-test/stats", "get")).toEqual(["200", "400", "401", "403", "429", "503"]);
  });
});
