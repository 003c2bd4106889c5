import { join } from "node:path";
import { ErrorResponseSchema, GarchUnhealthySchema } from "@mlops/contracts";
import { registerVersion, type Store } from "@mlops/store";
import { describe, expect, it, vi } from "vitest";
import { build, GARCH_MODE, json, ROW as row, useFixture } from "../test-support/index.js";
import { API_SECURITY_HEADERS } from "./plugins/security.js";

const fixture = useFixture();

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
    // The same joined records feed the gauge the accuracy-drop alert watches: the first scrape
    // starts its reading of the store, a later one reports it.
    await vi.waitFor(async () => {
      const metrics = (await app.inject({ url: "/metrics" })).body;
      for (const v of stats.variants) {
        expect(metrics).toContain(
          `ab_variant_accuracy{experiment="stats-test",variant="${v.variant}"} 1`,
        );
      }
    });
  });

  it("answers /metrics without waiting for a slow store, and reads it once at a time", async () => {
    const experiment = "slow-store";
    const now = Date.now();
    await fixture.store.predictions.insertMany([
      {
        request_id: "slow-store-1",
        experiment_id: experiment,
        variant: "champion",
        model_name: "classifier",
        model_version: 1,
        user_id: null,
        prediction: "1",
        probabilities: { "0": 0.2, "1": 0.8 },
        latency_ms: 1,
        status: "ok",
        timestamp: now - 1000,
      },
    ]);
    await fixture.store.outcomes.insertMany([
      { request_id: "slow-store-1", outcome: "1", timestamp: now },
    ]);
    // An aggregate over a large log: it answers only when the test says so.
    let answer!: () => void;
    const slow = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let reads = 0;
    const store: Store = {
      ...fixture.store,
      predictions: {
        ...fixture.store.predictions,
        aggregate: async (query) => {
          reads++;
          await slow;
          return fixture.store.predictions.aggregate(query);
        },
      },
    };
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: experiment }, { store });
    const gauge = `ab_variant_accuracy{experiment="${experiment}",variant="champion"} 1`;
    for (let scrape = 0; scrape < 3; scrape++) {
      const res = await app.inject({ url: "/metrics" });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain("prediction_log_queue_depth");
      expect(res.body).not.toContain(gauge);
    }
    expect(reads).toBe(1);
    answer();
    await vi.waitFor(async () => {
      expect((await app.inject({ url: "/metrics" })).body).toContain(gauge);
    });
    expect(reads).toBe(1);
  });

  it("refuses numeric outcomes beyond ±1e100, so the A/B statistics' sums stay finite", async () => {
    const app = await build(fixture, { MLOPS_EXPERIMENT_ID: "stats-large-outcomes" });
    for (let i = 0; i < 6; i++) {
      const { request_id } = (
        await app.inject({ url: "/predict", ...json({ features: row, user_id: `big${i}` }) })
      ).json();
      const refused = await app.inject({
        url: "/feedback",
        ...json({ request_id, outcome: (i % 2 ? -1 : 1) * 1e300 }),
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().issues[0]).toEqual({
        path: "outcome",
        message: expect.stringMatching(/^Too (big|small): expected number to be [<>]=-?1e\+100$/),
      });
      // At the bound itself, the statistics still answer: a square of 1e200 per outcome.
      const taken = await app.inject({
        url: "/feedback",
        ...json({ request_id, outcome: i * 2e99 }),
      });
      expect(taken.statusCode).toBe(202);
    }
    await vi.waitFor(async () => {
      const res = await app.inject({ url: "/ab-test/stats" });
      expect(res.statusCode).toBe(200);
      const counts = res
        .json()
        .variants.map((v: { outcome_value_count: number }) => v.outcome_value_count);
      expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(6);
    });
  });

  it("states what an outcome may be, and takes no control characters in a label", async () => {
    const app = await build(fixture);
    const rule =
      "must be a class label (1-128 characters, no control characters) or a finite number within ±1e100";
    const cases: [unknown, string][] = [
      [true, rule],
      [null, rule],
      [[1], rule],
      [{ label: "1" }, rule],
      ["\u0000", "must not contain control characters"],
      ["late\npayment", "must not contain control characters"],
    ];
    for (const [outcome, message] of cases) {
      const res = await app.inject({ url: "/feedback", ...json({ request_id: "r-1", outcome }) });
      expect(res.statusCode, JSON.stringify(outcome)).toBe(400);
      expect(res.json().issues).toEqual([{ path: "outcome", message }]);
    }
    const missing = await app.inject({ url: "/feedback", ...json({ request_id: "r-1" }) });
    expect(missing.json().issues).toEqual([{ path: "outcome", message: rule }]);
  });

  it("rejects an outcome without a request id, naming it", async () => {
    const app = await build(fixture);
    const res = await app.inject({ url: "/feedback", ...json({ outcome: 1 }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].path).toBe("request_id");
  });
});

describe("start-up", () => {
  it("names the version whose model file is gone, and why, instead of Node's open error", async () => {
    const champion = await fixture.store.models.resolve("classifier@champion");
    const lost = join(fixture.dir, "lost", "model", "model.json");
    // Registered READY with its file, which is then lost.
    const { version } = await registerVersion(fixture.store.models, {
      name: "lost",
      kind: champion.kind,
      run_id: champion.run_id,
      data_hash: champion.data_hash,
      git_sha: champion.git_sha,
      params: champion.params,
      metrics: champion.metrics,
      artifact: { uri: lost, sha256: champion.artifact.sha256 },
    });
    await expect(build(fixture, { MLOPS_CHAMPION_MODEL: `lost@${version}` })).rejects.toThrow(
      `lost@${version}: ${lost}: no such file or directory`,
    );
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
    // The demo's arms: a random-forest champion and a boosted-trees challenger.
    const served = models.served.map((m: { variant: string; algorithm: string | null }) => [
      m.variant,
      m.algorithm,
    ]);
    expect(served.sort()).toEqual([
      ["challenger", "gbdt"],
      ["champion", "forest"],
      ["garch", null],
    ]);
    expect(models.registered.find((m: { name: string }) => m.name === "classifier")).toEqual({
      name: "classifier",
      kind: "classifier",
      latest_version: 2,
      ready_version: 2,
      aliases: { champion: 1, challenger: 2 },
    });
    const detail = (await app.inject({ url: "/models/classifier" })).json();
    expect(detail.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect((await app.inject({ url: "/models/nothing-here" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/models/bad@name" })).json().issues[0].path).toBe("name");
  });

  it("stays ready and serves while the store does not answer, which /health reports", async () => {
    // The same store with a ping that fails, as an unreachable Cosmos account would: every
    // replica shares it, so readiness that asked it would empty the Service at once.
    const down: Store = Object.create(fixture.store, {
      ping: { value: () => Promise.reject(new Error("connection refused")) },
    });
    for (const mode of [{}, GARCH_MODE]) {
      const app = await build(fixture, mode, { store: down });
      const ready = await app.inject({ url: "/health/ready" });
      expect([ready.statusCode, ready.json()]).toEqual([200, { status: "ready" }]);
    }
    const app = await build(fixture, {}, { store: down });
    expect((await app.inject({ url: "/predict", ...json({ features: row }) })).statusCode).toBe(
      200,
    );
    const health = (await app.inject({ url: "/health" })).json();
    expect(health).toMatchObject({ status: "degraded", store: { kind: "sqlite", ok: false } });
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
    // A document: helmet's other policies as well, as on the dashboard's page.
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(page.body).not.toMatch(/src="https?:/);
    // Every other answer (the docs UI sets its own policy): OWASP's REST set, no document-only header.
    for (const url of ["/health/live", "/nope", "/metrics"]) {
      const res = await app.inject({ url });
      for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) {
        expect(res.headers[name], `${url} ${name}`).toBe(value);
      }
      expect(res.headers["referrer-policy"], url).toBeUndefined();
      expect(res.headers["cross-origin-opener-policy"], url).toBeUndefined();
    }
  });

  it("answers unknown routes with a 404 body in the error shape", async () => {
    const app = await build(fixture);
    const res = await app.inject({ url: "/nope?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: "NOT_FOUND", message: "no route GET /nope" });
  });

  it("answers a method a path is not served with 405, naming those it is in Allow", async () => {
    const app = await build(fixture);
    const cases: [string, string, string][] = [
      ["GET", "/predict", "POST"],
      ["DELETE", "/predict/batch", "POST"],
      ["PUT", "/feedback", "POST"],
      ["POST", "/models/classifier?x=1", "GET, HEAD"],
      ["POST", "/health/ready", "GET, HEAD"],
    ];
    for (const [method, url, allow] of cases) {
      const res = await app.inject({ method: method as "GET", url });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      const path = url.split("?")[0];
      expect(res.json()).toMatchObject({
        error: "METHOD_NOT_ALLOWED",
        message: `${method} is not served at ${path}: it takes ${allow}`,
      });
      expect(res.headers["x-request-id"]).toBe(res.json().request_id);
    }
    const options = await app.inject({ method: "OPTIONS", url: "/predict" });
    expect([options.statusCode, options.headers.allow, options.body]).toEqual([204, "POST", ""]);
    // A path no route serves stays a 404, whatever the method.
    expect((await app.inject({ method: "DELETE", url: "/nope" })).statusCode).toBe(404);
    expect((await app.inject({ method: "OPTIONS", url: "/models/a/b/c" })).statusCode).toBe(404);
  });

  it.each([
    ["bad percent-encoding", "/models/%zz", 400, "FST_ERR_BAD_URL", /percent-encoding/],
    [
      "a parameter over the length limit",
      `/models/${"a".repeat(5000)}`,
      414,
      "FST_ERR_MAX_PARAM_LENGTH",
      /longer than 100 characters/,
    ],
  ])(
    "answers a path with %s like any other error, without echoing it whole",
    async (_, url, status, code, rule) => {
      const app = await build(fixture);
      const res = await app.inject({ url, headers: { "x-request-id": "client-req-9" } });
      expect(res.statusCode).toBe(status);
      const body = ErrorResponseSchema.parse(res.json());
      expect(body).toMatchObject({ error: code, request_id: "client-req-9" });
      expect(body.message).toMatch(rule);
      expect(body.message.length).toBeLessThan(200);
      expect(res.headers["x-request-id"]).toBe("client-req-9");
      for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) {
        expect(res.headers[name]).toBe(value);
      }
    },
  );
});

/** Load shedding at a 50 ms event-loop delay, sampled every 50 ms. */
const TOUCHY = { maxEventLoopDelayMs: 50, pressureSampleMs: 50 };

/**
 * Blocks the event loop as a burst of CPU-bound work would. The sampler's histogram then holds
 * one 600 ms delay among at most five ~10 ms ones, a mean far above 50 ms whatever the machine's
 * speed; its overdue timer runs before any timer set afterwards.
 */
async function saturateEventLoop(): Promise<void> {
  const until = Date.now() + 600;
  while (Date.now() < until) {}
  await new Promise((r) => setTimeout(r, 1));
}

describe("protection", () => {
  it("sheds load with 503 while the event loop is saturated, and recovers", async () => {
    const app = await build(fixture, {}, TOUCHY);
    await saturateEventLoop();
    const shed = await app.inject({ url: "/predict", ...json({ features: row }) });
    expect(shed.statusCode).toBe(503);
    expect(shed.json().error).toBe("OVERLOADED");
    // Readiness takes the process out of rotation; liveness and the scrape still answer.
    const ready = await app.inject({ url: "/health/ready" });
    expect([ready.statusCode, ready.json().error]).toEqual([503, "OVERLOADED"]);
    expect((await app.inject({ url: "/health/live" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/metrics" })).statusCode).toBe(200);
    await vi.waitFor(async () => {
      const ok = await app.inject({ url: "/predict", ...json({ features: row }) });
      expect(ok.statusCode).toBe(200);
    });
  });

  it("sheds the GARCH service's /health in its own contract's unhealthy shape", async () => {
    const app = await build(fixture, GARCH_MODE, TOUCHY);
    await saturateEventLoop();
    const res = await app.inject({ url: "/health" });
    expect([res.statusCode, res.headers["retry-after"]]).toEqual([503, "1"]);
    expect(GarchUnhealthySchema.strict().parse(res.json()).reason).toMatch(/overloaded/);
    expect((await app.inject({ url: "/health/live" })).statusCode).toBe(200);
  });

  it("rate-limits a client beyond the configured requests per minute", async () => {
    const app = await build(fixture, { MLOPS_RATE_LIMIT_PER_MINUTE: "3" });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await app.inject({ url: "/predict", ...json({ features: row }) })).statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const limited = await app.inject({ url: "/predict", ...json({ features: row }) });
    expect(limited.json()).toMatchObject({
      error: "RATE_LIMITED",
      message: expect.stringContaining("more than 3 requests a minute"),
    });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect((await app.inject({ url: "/health/live" })).statusCode).toBe(200);
  });

  it("counts each client behind a trusted proxy apart, and only behind one", async () => {
    const limit = { MLOPS_RATE_LIMIT_PER_MINUTE: "2" };
    const predict = (app: Awaited<ReturnType<typeof build>>, client: string) =>
      app.inject({
        url: "/predict",
        ...json({ features: row }),
        headers: { "content-type": "application/json", "x-forwarded-for": client },
      });
    // The injected requests come from 127.0.0.1: the proxy's address when it is trusted.
    const behind = await build(fixture, { ...limit, MLOPS_TRUSTED_PROXIES: "127.0.0.0/8" });
    const codes = async (app: Awaited<ReturnType<typeof build>>) => {
      const out: number[] = [];
      for (const client of ["198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.1"]) {
        out.push((await predict(app, client)).statusCode);
      }
      return out;
    };
    expect(await codes(behind)).toEqual([200, 200, 200, 429]);
    // Untrusted, the header is anyone's to write: every request is the peer's.
    const direct = await build(fixture, limit);
    expect(await codes(direct)).toEqual([200, 200, 429, 429]);
  });

  it("does not count the dashboard's own polling against its viewer's budget", async () => {
    const app = await build(fixture, { MLOPS_RATE_LIMIT_PER_MINUTE: "3" });
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ url: "/dashboard/api/traffic" })).statusCode).toBe(200);
    }
    expect((await app.inject({ url: "/predict", ...json({ features: row }) })).statusCode).toBe(
      200,
    );
  });

  it("costs a prediction nothing when the limit is off: no store, no count, no header", async () => {
    // The cluster's store asks the primary over IPC for every count; off, it must never exist.
    let stores = 0;
    class CountingStore {
      constructor() {
        stores++;
      }
      incr(): void {
        throw new Error("a request was counted");
      }
      child() {
        return new CountingStore();
      }
    }
    const rateLimitStore =
      CountingStore as unknown as import("./rate-windows.js").RateLimitStoreCtor;
    const off = await build(fixture, { MLOPS_RATE_LIMIT_PER_MINUTE: "0" }, { rateLimitStore });
    for (let i = 0; i < 3; i++) {
      const res = await off.inject({ url: "/predict", ...json({ features: row }) });
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-ratelimit-limit"]).toBeUndefined();
    }
    expect(stores).toBe(0);
    // The same store is built as soon as a limit is set.
    await build(fixture, { MLOPS_RATE_LIMIT_PER_MINUTE: "3" }, { rateLimitStore });
    expect(stores).toBeGreaterThan(0);
  });
});

describe("the request log", () => {
  /** The lines an app logging at `level` writes while serving one prediction. */
  const linesAt = async (level: string) => {
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
    const app = await build(fixture, {}, { logger: { level, stream } });
    const res = await app.inject({ url: "/predict", ...json({ features: row }) });
    expect(res.statusCode).toBe(200);
    return lines.filter((l) => l.msg === "served");
  };

  it("writes one line per answer at info, with its status and time", async () => {
    expect(await linesAt("info")).toEqual([
      expect.objectContaining({
        method: "POST",
        url: "/predict",
        status: 200,
        ms: expect.any(Number),
      }),
    ]);
  });

  it("writes none above info", async () => {
    expect(await linesAt("warn")).toEqual([]);
  });
});
