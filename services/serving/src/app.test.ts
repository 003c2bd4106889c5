import { createHash } from "node:crypto";
import { PredictResponseSchema } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bucketOf } from "./assignment.js";
import { CANARY_COOKIE } from "./routes/predict.js";
import { build, type Fixture, openFixture } from "./test-support.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(() => fixture.dispose());

const row = [0.5, -1.2, 0.3, 1.1, -0.4];
const json = (body: unknown) => ({
  method: "POST" as const,
  headers: { "content-type": "application/json" },
  payload: JSON.stringify(body),
});

describe("POST /predict", () => {
  it("answers with the contract's shape, the variant and the model that served it", async () => {
    const app = await build(fixture);
    const res = await app.inject({ url: "/predict", ...json({ features: row, user_id: "u-1" }) });
    expect(res.statusCode).toBe(200);
    const body = PredictResponseSchema.parse(res.json());
    expect(res.headers["x-request-id"]).toBe(body.request_id);
    expect(["0", "1"]).toContain(body.prediction);
    expect(Object.keys(body.probabilities).sort()).toEqual(["0", "1"]);
    const arm = bucketOf("default", "u-1") < 50 ? "challenger" : "champion";
    expect(body.variant).toBe(arm);
    expect(body.model).toEqual({ name: "classifier", version: arm === "champion" ? 1 : 2 });
    // The original design's fields: the predicted class's probability and the version.
    expect(body.probability).toBe(body.probabilities[body.prediction]);
    expect(body.model_version).toBe(String(body.model.version));
    // Exactly the contract's fields, with the same security headers as every other route.
    expect(Object.keys(res.json()).sort()).toEqual(Object.keys(PredictResponseSchema.shape).sort());
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["content-security-policy"]).toMatch(/default-src 'self'/);
  });

  it("keeps a user on one arm and splits users near the configured weight", async () => {
    const app = await build(fixture);
    const arms = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      const user = `user-${i % 100}`;
      const res = await app.inject({ url: "/predict", ...json({ features: row, user_id: user }) });
      const { variant } = res.json();
      if (arms.has(user)) expect(variant).toBe(arms.get(user));
      arms.set(user, variant);
    }
    const challengers = [...arms.values()].filter((v) => v === "challenger").length;
    expect(challengers).toBeGreaterThan(25);
    expect(challengers).toBeLessThan(75);
  });

  it("uses a valid x-request-id from the client and replaces an invalid one", async () => {
    const app = await build(fixture);
    const mine = await app.inject({
      url: "/predict",
      ...json({ features: row }),
      headers: { "content-type": "application/json", "x-request-id": "client-req-7" },
    });
    expect(mine.json().request_id).toBe("client-req-7");
    const bad = await app.inject({
      url: "/predict",
      ...json({ features: row }),
      headers: { "content-type": "application/json", "x-request-id": "no spaces/allowed" },
    });
    expect(bad.json().request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("names the field and the rule for a wrong feature count", async () => {
    const app = await build(fixture);
    const res = await app.inject({ url: "/predict", ...json({ features: [1, 2, 3] }) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: "FEATURE_COUNT_MISMATCH",
      issues: [{ path: "features", message: "must hold exactly 5 numbers" }],
    });
  });

  it("rejects unknown fields, wrong types and oversized bodies with 4xx", async () => {
    const app = await build(fixture);
    const extra = await app.inject({ url: "/predict", ...json({ features: row, admin: true }) });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().issues[0].message).toMatch(/admin/);
    const text = await app.inject({ url: "/predict", ...json({ features: "1,2,3,4,5" }) });
    expect(text.json().issues).toEqual([
      { path: "features", message: expect.stringMatching(/array/) },
    ]);
    const broken = await app.inject({
      method: "POST",
      url: "/predict",
      headers: { "content-type": "application/json" },
      payload: '{"features": [1,',
    });
    expect(broken.statusCode).toBe(400);
    const form = await app.inject({
      method: "POST",
      url: "/predict",
      headers: { "content-type": "application/xml" },
      payload: "<features>1</features>",
    });
    expect(form.statusCode).toBe(415);
    const huge = await app.inject({
      url: "/predict",
      ...json({ features: row, user_id: "x".repeat(3 * 1024 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
  });

  it("counts predictions on /metrics under the contract's names", async () => {
    const app = await build(fixture);
    for (let i = 0; i < 3; i++) {
      await app.inject({ url: "/predict", ...json({ features: row, user_id: "metrics-user" }) });
    }
    const variant = bucketOf("default", "metrics-user") < 50 ? "challenger" : "champion";
    const version = variant === "champion" ? 1 : 2;
    const text = (await app.inject({ url: "/metrics" })).body;
    expect(text).toContain(
      `prediction_requests_total{variant="${variant}",model="classifier@${version}",status="ok"} 3`,
    );
    expect(text).toContain(
      `prediction_latency_seconds_count{variant="${variant}",model="classifier@${version}"} 3`,
    );
    expect(text).toMatch(/^prediction_log_queue_depth \d+$/m);
    expect(text).toContain("prediction_log_dropped_total 0");
    expect(text).toContain("process_resident_memory_bytes");
  });
});

describe("POST /predict/batch", () => {
  it("answers each row in order with its own request id", async () => {
    const app = await build(fixture);
    const rows = [row, row.map((x) => -x), [3, 3, 3, 3, 3]];
    const res = await app.inject({ url: "/predict/batch", ...json({ rows, user_id: "b" }) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.predictions).toHaveLength(3);
    const ids = body.predictions.map((p: { request_id: string }) => p.request_id);
    expect(new Set(ids).size).toBe(3);
    const single = await app.inject({
      url: "/predict",
      ...json({ features: rows[1], user_id: "b" }),
    });
    expect(body.predictions[1].prediction).toBe(single.json().prediction);
    expect(body.predictions[1].probabilities).toEqual(single.json().probabilities);
  });

  it("enforces the configured row limit and names the bad row", async () => {
    const app = await build(fixture, { MLOPS_BATCH_MAX_ROWS: "2" });
    const res = await app.inject({ url: "/predict/batch", ...json({ rows: [row, row, row] }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].path).toBe("rows");
    const short = await app.inject({ url: "/predict/batch", ...json({ rows: [row, [1]] }) });
    expect(short.json().issues).toEqual([
      { path: "rows[1]", message: "must hold exactly 5 numbers" },
    ]);
  });
});

describe("single mode", () => {
  it("serves its variant only and sets the canary cookie that keeps the user there", async () => {
    for (const [variant, value] of [
      ["challenger", "always"],
      ["champion", "never"],
    ] as const) {
      const app = await build(fixture, { MLOPS_MODE: "single", MLOPS_VARIANT: variant });
      for (const user of ["a", "b", "c"]) {
        const res = await app.inject({
          url: "/predict",
          ...json({ features: row, user_id: user }),
        });
        expect(res.json().variant).toBe(variant);
        expect(res.headers["set-cookie"]).toMatch(new RegExp(`^${CANARY_COOKIE}=${value};`));
      }
    }
  });
});

describe("API keys", () => {
  it("guards predictions and feedback, not probes, when key hashes are configured", async () => {
    const key = "s3cret-key";
    const hash = createHash("sha256").update(key).digest("hex");
    const app = await build(fixture, { MLOPS_API_KEY_SHA256: hash });
    const none = await app.inject({ url: "/predict", ...json({ features: row }) });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toBe("UNAUTHORIZED");
    const wrong = await app.inject({
      url: "/predict",
      ...json({ features: row }),
      headers: { "content-type": "application/json", "x-api-key": "guess" },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await app.inject({
      url: "/predict",
      ...json({ features: row }),
      headers: { "content-type": "application/json", "x-api-key": key },
    });
    expect(right.statusCode).toBe(200);
    const feedback = await app.inject({
      url: "/feedback",
      ...json({ request_id: "r", outcome: 1 }),
    });
    expect(feedback.statusCode).toBe(401);
    expect((await app.inject({ url: "/health/live" })).statusCode).toBe(200);
  });
});

describe("feedback and A/B stats", () => {
  it("joins outcomes to logged predictions per variant in the store", async () => {
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: "stats-test" });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await app.inject({
        url: "/predict",
        ...json({ features: row, user_id: `s${i}` }),
      });
      ids.push(res.json().request_id);
      const fb = await app.inject({
        url: "/feedback",
        ...json({ request_id: res.json().request_id, outcome: res.json().prediction }),
      });
      expect(fb.statusCode).toBe(202);
      expect(fb.json()).toEqual({ request_id: res.json().request_id, duplicate: false });
    }
    const again = await app.inject({
      url: "/feedback",
      ...json({ request_id: ids[0], outcome: 0 }),
    });
    expect(again.json().duplicate).toBe(true);
    await vi.waitFor(async () => {
      const stats = (await app.inject({ url: "/ab-test/stats" })).json();
      const total = stats.variants.reduce((s: number, v: { count: number }) => s + v.count, 0);
      expect(total).toBe(20);
    });
    const stats = (await app.inject({ url: "/ab-test/stats" })).json();
    expect(stats.experiment_id).toBe("stats-test");
    expect(stats.weights).toEqual({ champion: 50, challenger: 50 });
    for (const v of stats.variants) expect(v.correct_count).toBe(v.outcome_count);
    // Every outcome matched in both arms: the z test is undefined, and the analysis says why.
    expect(stats.analysis).toMatchObject({
      srm: { mismatch: false },
      accuracy: {
        champion: 1,
        challenger: 1,
        test: { undefined_because: expect.stringMatching(/all successes/) },
      },
    });
    // The same joined records feed the gauge the accuracy-drop alert watches.
    const metrics = (await app.inject({ url: "/metrics" })).body;
    for (const v of stats.variants) {
      expect(metrics).toContain(
        `ab_variant_accuracy{experiment="stats-test",variant="${v.variant}"} 1`,
      );
    }
  });

  it("rejects an outcome without a request id, naming it", async () => {
    const app = await build(fixture);
    const res = await app.inject({ url: "/feedback", ...json({ outcome: 1 }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].path).toBe("request_id");
  });
});

describe("graceful close", () => {
  it("flushes every logged prediction to the store before close resolves", async () => {
    const app = await build(fixture, {
      MLOPS_LOG_FLUSH_MS: "600000",
      MLOPS_EXPERIMENT_ID: "flush",
    });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(
        (await app.inject({ url: "/predict", ...json({ features: row }) })).json().request_id,
      );
    }
    expect(app.predictionLog.stats.depth).toBe(30);
    await app.close();
    for (const id of ids) expect(await fixture.store.predictions.get(id)).not.toBeNull();
  });
});

describe("models, health and docs", () => {
  it("lists served and registered models, and versions by name", async () => {
    const app = await build(fixture);
    const models = (await app.inject({ url: "/models" })).json();
    expect(models.served.map((m: { variant: string }) => m.variant).sort()).toEqual([
      "challenger",
      "champion",
      "garch",
    ]);
    expect(
      models.registered.find((m: { name: string }) => m.name === "classifier").aliases,
    ).toEqual({
      champion: 1,
      challenger: 2,
    });
    const detail = (await app.inject({ url: "/models/classifier" })).json();
    expect(detail.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await app.inject({ url: "/models/nothing-here" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/models/bad@name" })).json().issues[0].path).toBe("name");
  });

  it("reports live, ready and a summary without internals", async () => {
    const app = await build(fixture);
    expect((await app.inject({ url: "/health/live" })).json()).toEqual({ status: "live" });
    expect((await app.inject({ url: "/health/ready" })).json()).toEqual({ status: "ready" });
    const health = (await app.inject({ url: "/health" })).json();
    expect(health).toMatchObject({
      status: "ok",
      mode: "split",
      store: { kind: "sqlite", ok: true },
    });
    expect(JSON.stringify(health)).not.toContain(fixture.dir);
  });

  it("serves OpenAPI and the docs UI from its own origin, with security headers", async () => {
    const app = await build(fixture);
    const spec = (await app.inject({ url: "/docs/json" })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/predict",
        "/predict/batch",
        "/feedback",
        "/ab-test/stats",
        "/garch/forecast",
      ]),
    );
    const page = await app.inject({ url: "/docs/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(page.body).not.toMatch(/src="https?:/);
    const res = await app.inject({ url: "/health/live" });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["strict-transport-security"]).toBeDefined();
  });

  it("answers unknown routes with a 404 body in the error shape", async () => {
    const app = await build(fixture);
    const res = await app.inject({ url: "/nope?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: "NOT_FOUND", message: "no route GET /nope" });
  });
});

describe("protection", () => {
  it("sheds load with 503 while the event loop is saturated, and recovers", async () => {
    const app = await build(fixture, {}, { maxEventLoopDelayMs: 50, pressureSampleMs: 50 });
    // Block the event loop as a burst of CPU-bound work would. The sampler's histogram then
    // holds one 600 ms delay among at most five ~10 ms ones, a mean far above 50 ms whatever
    // the machine's speed; its overdue timer runs before any timer set afterwards.
    const until = Date.now() + 600;
    while (Date.now() < until) {}
    await new Promise((r) => setTimeout(r, 1));
    const shed = await app.inject({ url: "/predict", ...json({ features: row }) });
    expect(shed.statusCode).toBe(503);
    expect(shed.json().error).toBe("OVERLOADED");
    await vi.waitFor(async () => {
      const ok = await app.inject({ url: "/predict", ...json({ features: row }) });
      expect(ok.statusCode).toBe(200);
    });
  });

  it("rate-limits a client beyond the configured requests per minute", async () => {
    const app = await build(fixture, { MLOPS_RATE_LIMIT_PER_MINUTE: "3" });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await app.inject({ url: "/predict", ...json({ features: row }) })).statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect((await app.inject({ url: "/health/live" })).statusCode).toBe(200);
  });
});

describe("GARCH", () => {
  it("forecasts from the registered fit by alias and by version", async () => {
    const app = await build(fixture);
    const byAlias = await app.inject({
      url: "/garch/forecast",
      ...json({ model: "dem2gbp@champion", horizon: 5 }),
    });
    expect(byAlias.statusCode).toBe(200);
    const body = byAlias.json();
    expect(body.model).toEqual({ name: "dem2gbp", version: 1 });
    expect(body.variance).toHaveLength(5);
    body.variance.forEach((v: number, i: number) => {
      expect(v).toBeGreaterThan(0);
      expect(body.volatility[i]).toBeCloseTo(Math.sqrt(v), 12);
    });
    const byVersion = await app.inject({
      url: "/garch/forecast",
      ...json({ model: "dem2gbp@1", horizon: 5 }),
    });
    expect(byVersion.json().variance).toEqual(body.variance);
  });

  it("says which model reference is wrong or unknown", async () => {
    const app = await build(fixture);
    const unknown = await app.inject({
      url: "/garch/forecast",
      ...json({ model: "nope@1", horizon: 2 }),
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe("MODEL_NOT_FOUND");
    const classifier = await app.inject({
      url: "/garch/forecast",
      ...json({ model: "classifier@champion", horizon: 2 }),
    });
    expect(classifier.statusCode).toBe(404);
    expect(classifier.json().message).toMatch(/classifier model, not garch/);
    const bad = await app.inject({
      url: "/garch/forecast",
      ...json({ model: "a@B C", horizon: 2 }),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe("model");
    const far = await app.inject({
      url: "/garch/forecast",
      ...json({ model: "dem2gbp@1", horizon: 0 }),
    });
    expect(far.json().issues[0].path).toBe("horizon");
  });

  it("fits posted returns and forecasts; a series it cannot fit is a 4xx", async () => {
    const app = await build(fixture);
    // A GARCH(1,1)-like series from a fixed recursion, so the test needs no randomness.
    const returns: number[] = [];
    let h = 1;
    let e = 0.5;
    for (let t = 0; t < 400; t++) {
      h = 0.1 + 0.1 * e * e + 0.8 * h;
      e = Math.sqrt(h) * Math.sin(t * 1.7 + 0.3) * 1.2;
      returns.push(e);
    }
    const res = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns, p: 1, q: 1, horizon: 3 }),
    });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().params)).toEqual(
      expect.arrayContaining(["omega", "alpha[1]", "beta[1]"]),
    );
    expect(res.json().variance).toHaveLength(3);
    const flat = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: Array(200).fill(0), horizon: 3 }),
    });
    expect(flat.statusCode).toBeGreaterThanOrEqual(400);
    expect(flat.statusCode).toBeLessThan(500);
    const short = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: [1, 2], horizon: 3 }),
    });
    expect(short.json().issues[0].path).toBe("returns");
  });
});
