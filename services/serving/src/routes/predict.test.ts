import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
  IdSchema,
  type JoinedPair,
  MAX_BATCH_ROWS,
  MAX_ID_LENGTH,
  PredictResponseSchema,
} from "@mlops/contracts";
import { describe, expect, it, vi } from "vitest";
import { build, json, ROW as row, useFixture } from "../../test-support/index.js";
import { bucketOf } from "../assignment.js";

const fixture = useFixture();

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

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
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["content-security-policy"]).toBe("frame-ancestors 'none'");
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

  it("echoes a valid client x-request-id as the correlation id, never as the prediction's id", async () => {
    const app = await build(fixture);
    const send = (id: string) =>
      app.inject({
        url: "/predict",
        ...json({ features: row }),
        headers: { "content-type": "application/json", "x-request-id": id },
      });
    const mine = await send("client-req-7");
    expect(mine.headers["x-request-id"]).toBe("client-req-7");
    expect(mine.json().request_id).toMatch(UUIDV7);
    const bad = await send("no spaces/allowed");
    expect(bad.json().request_id).toMatch(UUIDV7);
    // Without a valid one the server's id is both, as with no header.
    expect(bad.headers["x-request-id"]).toBe(bad.json().request_id);
  });

  it("logs every request sent with one x-request-id, each joined with its own feedback", async () => {
    const experiment = "shared-header";
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: experiment });
    const answers: { request_id: string; prediction: string; variant: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await app.inject({
        url: "/predict",
        ...json({ features: i % 2 ? row : row.map((x) => -x) }),
        headers: { "content-type": "application/json", "x-request-id": "retried-abc" },
      });
      expect(res.headers["x-request-id"]).toBe("retried-abc");
      answers.push(res.json());
    }
    const ids = answers.map((a) => a.request_id);
    expect(new Set(ids).size).toBe(20);
    // Time-ordered as the log's keys need: each no earlier than the one before.
    expect(ids.map((id) => id.slice(0, 13))).toEqual(ids.map((id) => id.slice(0, 13)).sort());
    const wrong = (prediction: string) => (prediction === "0" ? "1" : "0");
    for (const [i, a] of answers.entries()) {
      const outcome = i % 3 === 0 ? wrong(a.prediction) : a.prediction;
      const fb = await app.inject({
        url: "/feedback",
        ...json({ request_id: a.request_id, outcome }),
      });
      expect(fb.json()).toEqual({ request_id: a.request_id, duplicate: false });
    }
    await vi.waitFor(async () => {
      for (const a of answers)
        expect(await fixture.store.predictions.get(a.request_id)).not.toBeNull();
    });
    for (const variant of ["champion", "challenger"]) {
      const logged: JoinedPair[] = [];
      for await (const pair of fixture.store.predictions.joined({
        experiment_id: experiment,
        variant,
      })) {
        logged.push(pair);
      }
      const served = answers.flatMap((a, i) => (a.variant === variant ? [[a, i] as const] : []));
      expect(logged.map((p) => p.request_id).sort()).toEqual(
        served.map(([a]) => a.request_id).sort(),
      );
      for (const [a, i] of served) {
        const pair = logged.find((p) => p.request_id === a.request_id)!;
        expect(pair.prediction).toBe(a.prediction);
        expect(pair.outcome).toBe(i % 3 === 0 ? wrong(a.prediction) : a.prediction);
      }
    }
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

  it.each([
    {
      bad: "an unknown field",
      payload: JSON.stringify({ features: row, admin: true }),
      status: 400,
      issues: [{ message: expect.stringMatching(/admin/) }],
    },
    {
      bad: "a wrong type",
      payload: JSON.stringify({ features: "1,2,3,4,5" }),
      status: 400,
      issues: [{ path: "features", message: expect.stringMatching(/array/) }],
    },
    {
      bad: "broken JSON",
      payload: '{"features": [1,',
      status: 400,
      message: /^body is not valid JSON: .*JSON/,
    },
    {
      bad: "a __proto__ key",
      payload: '{"features": [1, 2, 3, 4, 5], "__proto__": {"admin": true}}',
      status: 400,
      message: /"__proto__" .* not allowed/,
    },
    {
      bad: "a constructor.prototype key",
      payload: '{"features": [1, 2, 3, 4, 5], "constructor": {"prototype": {"admin": true}}}',
      status: 400,
      message: /"constructor.prototype" .* not allowed/,
    },
    { bad: "an empty body", payload: "", status: 400, message: /^body: must not be empty/ },
    {
      bad: "a body that is not JSON",
      contentType: "application/xml",
      payload: "<features>1</features>",
      status: 415,
      message:
        /^content-type application\/xml is not accepted: send the body as application\/json$/,
    },
    {
      bad: "JSON sent as text/plain",
      contentType: "text/plain",
      payload: JSON.stringify({ features: row }),
      status: 415,
      message: /^content-type text\/plain is not accepted/,
    },
    {
      bad: "a body without a content type",
      contentType: null,
      payload: JSON.stringify({ features: row }),
      status: 415,
      message: /^content-type is missing: send the body as application\/json$/,
    },
    {
      bad: "a compressed body",
      headers: { "content-encoding": "gzip" },
      payload: gzipSync(JSON.stringify({ features: row })),
      status: 415,
      message: /^content-encoding gzip is not accepted: send the body uncompressed$/,
    },
    {
      bad: "a body in another character set",
      contentType: "application/json; charset=utf-16",
      payload: JSON.stringify({ features: row }),
      status: 415,
      message: /^content-type charset utf-16 is not accepted: send the body as UTF-8$/,
    },
    {
      bad: "a body in a quoted character set",
      contentType: 'application/json;charset="ISO-8859-1"',
      payload: JSON.stringify({ features: row }),
      status: 415,
      message: /^content-type charset ISO-8859-1 is not accepted/,
    },
    {
      bad: "an oversized body",
      payload: JSON.stringify({ features: row, user_id: "x".repeat(3 * 1024 * 1024) }),
      status: 413,
      message: /^body is larger than 2097152 bytes \(2 MiB\), the largest request accepted$/,
    },
  ])(
    "answers $status to $bad",
    async ({ contentType, headers, payload, status, issues, message }) => {
      const app = await build(fixture);
      const res = await app.inject({
        method: "POST",
        url: "/predict",
        headers: {
          ...(contentType === null ? {} : { "content-type": contentType ?? "application/json" }),
          ...headers,
        },
        payload,
      });
      expect(res.statusCode).toBe(status);
      if (issues !== undefined) expect(res.json()).toMatchObject({ issues });
      if (message !== undefined) expect(res.json().message).toMatch(message);
    },
  );

  it("reads a body declared as UTF-8, however the charset is written", async () => {
    const app = await build(fixture);
    for (const type of [
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      'application/json; charset="utf8"',
    ]) {
      const res = await app.inject({
        method: "POST",
        url: "/predict",
        headers: { "content-type": type },
        payload: JSON.stringify({ features: row, user_id: "ü-1" }),
      });
      expect(res.statusCode, type).toBe(200);
    }
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

  it("ids rows from a server-made id, which no client's x-request-id can collide with", async () => {
    const app = await build(fixture);
    const batch = await app.inject({
      url: "/predict/batch",
      ...json({ rows: [row, row] }),
      headers: { "content-type": "application/json", "x-request-id": "abc" },
    });
    expect(batch.headers["x-request-id"]).toBe("abc");
    const ids: string[] = batch.json().predictions.map((p: { request_id: string }) => p.request_id);
    const base = ids[0]!.slice(0, -2);
    expect(base).toMatch(UUIDV7);
    expect(ids).toEqual([`${base}.0`, `${base}.1`]);
    // A client naming itself after a row of that batch gets an id of its own.
    const single = await app.inject({
      url: "/predict",
      ...json({ features: row }),
      headers: { "content-type": "application/json", "x-request-id": ids[0]! },
    });
    expect(single.headers["x-request-id"]).toBe(ids[0]);
    expect(single.json().request_id).toMatch(UUIDV7);
  });

  it("keeps every row's id an id /feedback accepts, at the row ceiling", async () => {
    const app = await build(fixture, { MLOPS_BATCH_MAX_ROWS: String(MAX_BATCH_ROWS) });
    const rows = Array.from({ length: MAX_BATCH_ROWS }, () => row);
    const res = await app.inject({
      url: "/predict/batch",
      ...json({ rows }),
      headers: { "content-type": "application/json", "x-request-id": "r".repeat(MAX_ID_LENGTH) },
    });
    const ids: string[] = res.json().predictions.map((p: { request_id: string }) => p.request_id);
    expect(ids.at(-1)).toMatch(
      new RegExp(`^${UUIDV7.source.slice(1, -1)}\\.${MAX_BATCH_ROWS - 1}$`),
    );
    for (const id of ids) expect(IdSchema.safeParse(id).success).toBe(true);
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
  it("serves its variant only, and pins no one with a cookie a client could forge", async () => {
    for (const variant of ["challenger", "champion"] as const) {
      const app = await build(fixture, { MLOPS_MODE: "single", MLOPS_VARIANT: variant });
      for (const user of ["a", "b", "c"]) {
        const res = await app.inject({
          url: "/predict",
          ...json({ features: row, user_id: user }),
        });
        expect(res.json().variant).toBe(variant);
        expect(res.headers["set-cookie"]).toBeUndefined();
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
    expect(none.headers["www-authenticate"]).toBe('ApiKey realm="predictions", header="x-api-key"');
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
