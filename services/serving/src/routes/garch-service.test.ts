import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GarchModelsListSchema, GarchPredictResponseSchema, PINO_LEVELS } from "@mlops/contracts";
import { openSqliteStore, registerVersion, type Store } from "@mlops/store";
import { describe, expect, it } from "vitest";
import { build, capture, GARCH_MODE, json, useFixture } from "../../test-support/index.js";

const fixture = useFixture();

/** A GARCH(1,1)-like series from a fixed recursion, so the tests need no randomness. */
function series(n: number): number[] {
  const out: number[] = [];
  let h = 1;
  let e = 0.5;
  for (let t = 0; t < n; t++) {
    h = 0.1 + 0.1 * e * e + 0.8 * h;
    e = Math.sqrt(h) * Math.sin(t * 1.7 + 0.3) * 1.2;
    out.push(e);
  }
  return out;
}

describe("the GARCH service (MLOPS_MODE=garch)", () => {
  it("is healthy when its store answers, unhealthy with the reason when not", async () => {
    const app = await build(fixture, GARCH_MODE);
    const index = await app.inject({ url: "/" });
    expect(index.statusCode).toBe(200);
    expect(Object.keys(index.json().endpoints)).toContain("POST /predict/custom");
    const ok = await app.inject({ url: "/health" });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      status: "healthy",
      service: "garch",
      default_model: "dem2gbp@champion",
      store: { kind: "sqlite", ok: true },
    });
    expect(Date.parse(ok.json().timestamp)).not.toBeNaN();

    // The same store with a ping that fails, as an unreachable Cosmos account would.
    const down: Store = Object.create(fixture.store, {
      ping: { value: () => Promise.reject(new Error("connection refused")) },
    });
    const sick = await build(fixture, GARCH_MODE, { store: down });
    const res = await sick.inject({ url: "/health" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: "unhealthy", reason: "the store did not answer" });
  });

  it("lists the registered GARCH models with order, distribution, sample size and fit date", async () => {
    const app = await build(fixture, GARCH_MODE);
    const res = await app.inject({ url: "/models/list" });
    expect(res.statusCode).toBe(200);
    const body = GarchModelsListSchema.parse(res.json());
    expect(body.count).toBe(body.models.length);
    expect(body.models.every((m) => m.name !== "classifier")).toBe(true);
    const dem = body.models.find((m) => m.ref === "dem2gbp@1");
    expect(dem).toMatchObject({
      p: 1,
      q: 1,
      model_type: "GARCH(1,1)",
      distribution: "normal",
      mean: "constant",
      default: true,
      aliases: ["champion"],
    });
    // dem2gbp has 1,974 daily returns; the constant mean loses none of them.
    expect(dem?.sample_size).toBe(1974);
    expect(Date.parse(dem!.fit_date)).toBeLessThanOrEqual(Date.now());
  });

  it("neither lists nor serves a version whose registration has not finished", async () => {
    // A store of its own: the shared one is read by other files' tests.
    const dir = await mkdtemp(join(tmpdir(), "mlops-unfinished-"));
    const store = openSqliteStore(join(dir, "platform.db"));
    try {
      const dem = await fixture.store.models.resolve("dem2gbp@1");
      await registerVersion(store.models, dem);
      await store.models.setAlias("dem2gbp", "champion", 1);
      // Recorded, then the registering process died before writing its files.
      await store.models.register({
        ...dem,
        artifact: { ...dem.artifact, uri: join(dir, "gone") },
      });
      const app = await build(fixture, GARCH_MODE, { store });
      const list = await app.inject({ url: "/models/list" });
      expect(list.statusCode).toBe(200);
      expect(list.json().models.map((m: { ref: string }) => m.ref)).toEqual(["dem2gbp@1"]);
      const res = await app.inject({ url: "/predict", ...json({ model: "dem2gbp@2" }) });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({
        error: "MODEL_NOT_FOUND",
        message:
          "dem2gbp@2 is PENDING_REGISTRATION: only a READY version is served (its files may be missing)",
      });
      // A bare name is the newest READY version.
      const bare = await app.inject({ url: "/predict", ...json({ model: "dem2gbp" }) });
      expect(bare.json().model).toEqual({ name: "dem2gbp", version: 1 });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("forecasts from the default model, and from a named one, as /garch/forecast does", async () => {
    const app = await build(fixture, GARCH_MODE);
    const res = await app.inject({ url: "/predict", ...json({ horizon: 5 }) });
    expect(res.statusCode).toBe(200);
    const body = GarchPredictResponseSchema.parse(res.json());
    expect(body.model).toEqual({ name: "dem2gbp", version: 1 });
    expect(body.model_info.default).toBe(true);
    expect(body.variance_forecast).toHaveLength(5);
    body.variance_forecast.forEach((v, i) => {
      expect(body.volatility_forecast[i]).toBeCloseTo(Math.sqrt(v), 12);
    });
    expect(Object.values(body.predictions)).toEqual(body.volatility_forecast);
    expect(body.summary.max_volatility).toBe(Math.max(...body.volatility_forecast));

    const platform = await app.inject({
      url: "/garch/forecast",
      ...json({ model: "dem2gbp@champion", horizon: 5 }),
    });
    expect(platform.json().variance).toEqual(body.variance_forecast);
    const named = await app.inject({ url: "/predict", ...json({ model: "dem2gbp@1" }) });
    expect(named.json().horizon).toBe(5);
    expect(named.json().variance_forecast).toEqual(body.variance_forecast);
  });

  it("says which model is unknown or which field is wrong", async () => {
    const app = await build(fixture, GARCH_MODE);
    const unknown = await app.inject({ url: "/predict", ...json({ model: "nope", horizon: 2 }) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe("MODEL_NOT_FOUND");
    const classifier = await app.inject({
      url: "/predict",
      ...json({ model: "classifier@champion" }),
    });
    expect(classifier.json().message).toMatch(/classifier model, not garch/);
    const far = await app.inject({ url: "/predict", ...json({ horizon: 0 }) });
    expect(far.statusCode).toBe(400);
    expect(far.json().issues[0].path).toBe("horizon");
  });

  it("fits posted returns as /garch/fit-forecast does, and states the minimum length", async () => {
    const app = await build(fixture, GARCH_MODE);
    const returns = series(400);
    const res = await app.inject({
      url: "/predict/custom",
      ...json({ returns, p: 1, q: 1, horizon: 5 }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: "success",
      model_info: { p: 1, q: 1, data_points: 400, min_data_points: 100 },
    });
    const platform = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns, p: 1, q: 1, horizon: 5 }),
    });
    expect(platform.json().variance).toEqual(res.json().variance_forecast);

    const short = await app.inject({ url: "/predict/custom", ...json({ returns: series(50) }) });
    expect(short.statusCode).toBe(400);
    expect(short.json().issues).toEqual([
      {
        path: "returns",
        message:
          "GARCH(1,1) with constant mean and normal errors needs at least 100 returns (got 50)",
      },
    ]);
    // Larger orders need more: 5 + 10 per parameter (mu, omega, 5 alphas, 5 betas).
    const big = await app.inject({
      url: "/predict/custom",
      ...json({ returns: series(110), p: 5, q: 5 }),
    });
    expect(big.statusCode).toBe(400);
    expect(big.json().message).toMatch(/needs at least 125 returns \(got 110\)/);
  });

  it("counts a fit whose caller hung up as cancelled, logged at info, not as the server's error", async () => {
    const { stream, records } = capture();
    const app = await build(fixture, GARCH_MODE, { logger: { level: "info", stream } });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    // A fit of many seconds (the largest order and the heaviest distribution), hung up on.
    const caller = new AbortController();
    const pending = fetch(`http://127.0.0.1:${port}/predict/custom`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ returns: series(20_000), p: 5, q: 5, dist: "skewt" }),
      signal: caller.signal,
    }).catch(() => "hung up");
    await new Promise((resolve) => setTimeout(resolve, 300));
    caller.abort();
    expect(await pending).toBe("hung up");
    const garchSeries = async () =>
      (await app.inject({ url: "/metrics" })).body
        .split("\n")
        .filter((line) => line.startsWith('prediction_requests_total{variant="garch"'));
    await expect
      .poll(garchSeries, { timeout: 10_000 })
      .toEqual(['prediction_requests_total{variant="garch",model="custom",status="cancelled"} 1']);
    // The hang-up's one line: at info, the client's doing (nginx's 499), never a 5xx "failed".
    await expect
      .poll(() => records.find((r) => r.code === "CLIENT_CLOSED_REQUEST"))
      .toMatchObject({
        level: PINO_LEVELS.info,
        status: 499,
      });
    expect(records.filter((r) => (r.level as number) >= PINO_LEVELS.warn)).toEqual([]);
  }, 20_000);

  it("publishes the codes the GARCH routes answer with: the fitter's 503s, 401 and 403 under MLOPS_AUTH", async () => {
    const hash = createHash("sha256").update("k").digest("hex");
    const app = await build(fixture, { ...GARCH_MODE, MLOPS_API_KEY_SHA256: hash });
    const custom = await app.inject({ url: "/predict/custom", ...json({ returns: series(300) }) });
    expect(custom.statusCode).toBe(401);
    type Operation = { responses: Record<string, { description?: string }> };
    const doc: { paths: Record<string, Record<string, Operation>> } = (
      await app.inject({ url: "/docs/json" })
    ).json();
    const responses = (path: string) => doc.paths[path]!.post!.responses;
    const codes = ["200", "400", "401", "403", "404", "422", "429", "503"];
    for (const path of ["/predict", "/predict/custom", "/garch/forecast", "/garch/fit-forecast"]) {
      expect(Object.keys(responses(path)).sort(), path).toEqual(codes);
    }
    for (const path of ["/predict/custom", "/garch/fit-forecast"]) {
      expect(responses(path)["503"]!.description, path).toMatch(/GARCH_BUSY.*GARCH_TIMEOUT/);
    }
  });

  it("serves no classifier routes and counts its forecasts and model loads in /metrics", async () => {
    const app = await build(fixture, GARCH_MODE);
    expect((await app.inject({ url: "/ab-test/stats" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/dashboard" })).statusCode).toBe(404);
    await app.inject({ url: "/predict", ...json({ horizon: 2 }) });
    await app.inject({ url: "/predict/custom", ...json({ returns: series(300) }) });
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).toMatch(
      /prediction_requests_total\{variant="garch",model="dem2gbp@1",status="ok"\} 1/,
    );
    expect(metrics).toMatch(
      /prediction_requests_total\{variant="garch",model="custom",status="ok"\} 1/,
    );
    expect(metrics).toMatch(/model_load_seconds\{model="dem2gbp@1"\} \d/);
  });
});
