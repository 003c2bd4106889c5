/**
 * The GARCH volatility service as the second design's clients use it, against `pnpm start` in
 * garch mode (`MLOPS_MODE=garch`, a real process on loopback, in a temporary directory): its
 * endpoint test (each endpoint called as a client would, plain HTTP and JSON), its integration
 * request and its 10-user load test, the last two through the `mlops` commands a pipeline runs
 * (`mlops smoke --garch`, `mlops loadtest`), each as its own process.
 */
import type { LoadReport, SmokeReport } from "@mlops/release";
import { beforeAll, describe, expect, it } from "vitest";
import { mlops as runMlops, START, type Started, start } from "../platform/process.js";
import { scratchSuite } from "../platform/scratch.js";

const suite = scratchSuite("mlops-garch-");
let service: Started;
beforeAll(async () => {
  service = await start(START, suite.dir, { MLOPS_MODE: "garch" });
  suite.running.push(service);
});

/** `mlops argv` as its own process, as a pipeline step runs it. */
const mlops = (argv: string[]) => runMlops(argv, suite.dir);

/** A JSON request as a client library sends it; the answer is read as untyped JSON, as they do. */
// biome-ignore lint/suspicious/noExplicitAny: the design's clients read answers as plain JSON.
async function client(path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${service.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Daily returns around 1 %, from a fixed seed (a linear congruential generator, Box-Muller). */
function dailyReturns(n: number): number[] {
  let state = 12_345;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state + 1) / (2 ** 31 + 1);
  };
  return Array.from(
    { length: n },
    () => 0.01 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

describe("MLOPS_MODE=garch pnpm start, as the design's clients use it", () => {
  it("passes the endpoint test: health, models list, predict, predict/custom", async () => {
    expect(service.stdout).toMatch(/serving the GARCH volatility service at/);
    expect(service.stderr).not.toMatch(/training classifier/);

    const health = await client("/health");
    expect(
      health.status,
      JSON.stringify(health.json) + service.stderr.slice(-3000) + service.stdout.slice(-3000),
    ).toBe(200);
    expect(health.json.status).toBe("healthy");

    const list = await client("/models/list");
    expect(list.status).toBe(200);
    expect(list.json.count).toBeGreaterThanOrEqual(1);
    for (const m of list.json.models) {
      expect(m).toEqual(
        expect.objectContaining({
          name: expect.any(String),
          p: expect.any(Number),
          q: expect.any(Number),
          distribution: expect.any(String),
          sample_size: expect.any(Number),
          fit_date: expect.any(String),
        }),
      );
    }

    const predict = await client("/predict", { horizon: 5 });
    expect(predict.status).toBe(200);
    expect(predict.json.variance_forecast).toHaveLength(5);
    expect(predict.json.volatility_forecast).toHaveLength(5);
    expect(Object.keys(predict.json.predictions)).toHaveLength(5);
    const named = await client("/predict", { model: list.json.models[0].name, horizon: 10 });
    expect(named.status).toBe(200);
    expect(named.json.volatility_forecast).toHaveLength(10);

    // GARCH(1,1) fitted on `n` posted daily returns, five steps ahead.
    const fitted = (n: number) =>
      client("/predict/custom", { returns: dailyReturns(n), p: 1, q: 1, horizon: 5 });
    const custom = await fitted(500);
    expect(custom.status).toBe(200);
    expect(custom.json.volatility_forecast.every((v: number) => v > 0 && v < 1)).toBe(true);

    const short = await fitted(30);
    expect(short.status).toBeGreaterThanOrEqual(400);
    expect(short.status).toBeLessThan(500);
    expect(short.json.message).toMatch(/at least 100 returns/);
  });

  it("passes the integration request (mlops smoke --garch)", async () => {
    const out = await mlops(["smoke", "--garch", "--url", service.url, "--json"]);
    const report: SmokeReport = JSON.parse(out.stdout);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toContain("integration");
    // A passed check's detail says what passed, not the failure it was looking for.
    expect(report.checks.find((c) => c.name === "predict/custom (too short)")?.detail).toMatch(
      /^refused: .*at least \d+ returns/,
    );
    expect(out.code).toBe(0);
  });

  it("passes the 10-user load test with every request answered (mlops loadtest)", async () => {
    const out = await mlops([
      "loadtest",
      ...["--url", service.url, "--users", "10", "--duration", "5", "--min-success", "100"],
      "--json",
    ]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const report: LoadReport = JSON.parse(out.stdout);
    expect(report.success_rate).toBe(1);
    expect(report.paths.map((p) => p.path)).toEqual([
      "/health",
      "/models/list",
      "/predict",
      "/predict/custom",
    ]);
    expect(report.paths.every((p) => p.requests > 0 && p.succeeded === p.requests)).toBe(true);
    // Figures from a shared, contended machine: printed for the record, not asserted.
    console.log(
      `10 users, 5 s: ${report.requests} requests, ${report.requests_per_second.toFixed(0)} req/s, p50 ${report.latency_ms.p50.toFixed(1)} ms, p95 ${report.latency_ms.p95.toFixed(1)} ms, p99 ${report.latency_ms.p99.toFixed(1)} ms`,
    );
  });
});
