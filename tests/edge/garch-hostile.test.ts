/**
 * The GARCH volatility service in its prod configuration, as a real process on loopback, against
 * hostile requests. Prod is what the platform renders into the GARCH pods: `MLOPS_MODE=garch`,
 * API keys mounted from Key Vault (`MLOPS_SECRETS_DIR`, here a directory this suite writes as the
 * CSI driver would) and operational paths refused to anything that came through the public route.
 * `/predict` and `/predict/custom` demand a key; `/health` and `/models/list` stay open (the
 * availability test probes the first from outside; the public route carries `/health` exactly, so
 * the probes' `/health/live` and `/health/ready` answer 404 to the internet). Every hostile request is refused with its
 * documented status and `ErrorResponse` body; afterwards the process is healthy and the
 * prediction counter holds only the legitimate forecasts. Then `mlops smoke --garch --edge` and
 * `mlops loadtest` pass through a loopback public route with the deploy job's key, and fail
 * without it.
 */
import { GarchPredictResponseSchema, PUBLIC_PATHS } from "@mlops/contracts";
import { type LoadReport, smokeReturns } from "@mlops/release";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { START, type Started, start } from "../platform/process.js";
import { scratchSuite } from "../platform/scratch.js";
import { mlops } from "../workflows/support.js";
import {
  expectRefused,
  expectSmokePasses,
  jsonHeaders,
  type PublicRoute,
  sendTo,
  startPublicRoute,
  viaEdge,
  writeSecrets,
} from "./edge-http.js";

const suite = scratchSuite("mlops-garch-hostile-");
let server: Started;
let route: PublicRoute;

const KEYS = { first: "garch-key-one", second: "garch-key-two" };

beforeAll(async () => {
  const secrets = await writeSecrets(suite.dir, {
    "api-key-1": `${KEYS.first}\n`,
    "api-key-2": KEYS.second,
  });
  server = await start(START, suite.dir, {
    MLOPS_MODE: "garch",
    MLOPS_WORKERS: "1",
    MLOPS_AUTH: "api-keys",
    MLOPS_SECRETS_DIR: secrets,
    MLOPS_OPS_INTERNAL_ONLY: "true",
  });
  suite.running.push(server);
  route = await startPublicRoute(PUBLIC_PATHS.garch, () => server.url);
}, 300_000);

afterAll(async () => {
  await route?.close();
});

/** One raw HTTP request to the server on its own connection. */
const send = sendTo(() => server.url);
const post = (path: string, extra: Record<string, string>, body: unknown) =>
  send("POST", path, jsonHeaders(extra), JSON.stringify(body));

/** A seeded GARCH(1,1) simulation, long enough for the model (the smoke test's series). */
const returns = smokeReturns();

/** The forecasts counted on `/metrics` (read inside the cluster), by status. */
async function counted(): Promise<Record<string, number>> {
  const metrics = (await send("GET", "/metrics")).body;
  const totals: Record<string, number> = {};
  for (const line of metrics.split("\n")) {
    if (!line.startsWith("prediction_requests_total{")) continue;
    const status = /status="([^"]+)"/.exec(line)?.[1] ?? "";
    totals[status] = (totals[status] ?? 0) + Number(line.split(" ").at(-1));
  }
  return totals;
}

describe("the GARCH service in its prod configuration, against hostile requests", () => {
  let legitimate = 0;

  it("forecasts for a caller with either key through the public route; health and the list stay open", async () => {
    for (const key of [KEYS.first, KEYS.second]) {
      const res = await post("/predict", { "x-api-key": key }, { horizon: 5 });
      expect(res.status, res.body.slice(0, 200)).toBe(200);
      expect(
        GarchPredictResponseSchema.parse(JSON.parse(res.body)).volatility_forecast,
      ).toHaveLength(5);
      legitimate++;
    }
    const custom = await post(
      "/predict/custom",
      { "x-api-key": KEYS.second },
      { returns, p: 1, q: 1, horizon: 3 },
    );
    expect(custom.status, custom.body.slice(0, 200)).toBe(200);
    legitimate++;
    expect((await send("GET", "/health", viaEdge)).status).toBe(200);
    expect((await send("GET", "/models/list", viaEdge)).status).toBe(200);
  });

  it("refuses a missing, a wrong and an oversized key on both prediction routes, 401 with a challenge, counting nothing", async () => {
    const before = await counted();
    for (const [path, body] of [
      ["/predict", { horizon: 5 }],
      ["/predict/custom", { returns, horizon: 5 }],
    ] as const) {
      const refused: Record<string, string>[] = [
        {},
        { "x-api-key": "guessed-key" },
        { "x-api-key": "k".repeat(10_000) },
        { authorization: `Bearer ${KEYS.first}` },
      ];
      for (const headers of refused) {
        const res = await post(path, headers, body);
        expectRefused(res, 401, "UNAUTHORIZED");
        expect(res.headers["www-authenticate"]).toBe(
          'ApiKey realm="predictions", header="x-api-key"',
        );
      }
      // A refused caller is refused before its body is read, however bad the body.
      expectRefused(
        await send("POST", path, jsonHeaders(), Buffer.alloc(3 * 1024 * 1024, "1")),
        401,
        "UNAUTHORIZED",
      );
    }
    expect(await counted()).toEqual(before);
  });

  it("routes /health from the internet, and not the probes' paths below it", async () => {
    const throughRoute = sendTo(() => route.url);
    expect((await throughRoute("GET", "/health")).status).toBe(200);
    for (const path of ["/health/live", "/health/ready", "/health/"]) {
      // The public route publishes /health exactly, so it has no route for these.
      const routed = await throughRoute("GET", path);
      expect(routed.status, path).toBe(404);
      expect(routed.body, path).toBe("");
      // And were a route wider than it should be, the server itself refuses them to the proxy.
      expectRefused(await send("GET", path, viaEdge), 404, "NOT_FOUND");
    }
    // Inside the cluster the probes still reach them.
    expect((await send("GET", "/health/live")).status).toBe(200);
  });

  it("does not answer operational paths, nor the platform's /garch routes, to a request from the public route", async () => {
    for (const path of ["/", "/metrics", "/docs", "/docs/json", "/models", "/dashboard"]) {
      expectRefused(await send("GET", path, viaEdge), 404, "NOT_FOUND");
    }
    const key = { "x-api-key": KEYS.first };
    for (const path of ["/garch/forecast", "/garch/fit-forecast"]) {
      expectRefused(await post(path, key, { horizon: 5 }), 404, "NOT_FOUND");
    }
  });

  it("refuses oversized, malformed and mistyped bodies with a 4xx naming the field, counting nothing", async () => {
    const before = await counted();
    const key = { "x-api-key": KEYS.second };
    for (const path of ["/predict", "/predict/custom"]) {
      expectRefused(
        await send("POST", path, jsonHeaders(key), Buffer.alloc(3 * 1024 * 1024, "1")),
        413,
        "FST_ERR_CTP_BODY_TOO_LARGE",
      );
      expectRefused(
        await send("POST", path, jsonHeaders(key), '{"horizon": 5,'),
        400,
        "FST_ERR_CTP_INVALID_JSON_BODY",
      );
      expectRefused(
        await send("POST", path, { ...viaEdge, ...key, "content-type": "text/xml" }, "<x/>"),
        415,
        "FST_ERR_CTP_INVALID_MEDIA_TYPE",
      );
    }
    const refusals: [string, unknown, RegExp][] = [
      ["/predict", { horizon: "5" }, /horizon: /],
      ["/predict", { horizon: 1_000_000 }, /horizon: .*(<=|at most|too big)/i],
      ["/predict", { horizon: 5, admin: true }, /admin/],
      ["/predict/custom", { returns: [], horizon: 5 }, /returns: /],
      ["/predict/custom", { returns: ["NaN", "Infinity"], horizon: 5 }, /returns\[0\]: /],
      ["/predict/custom", { returns, p: 99, horizon: 5 }, /p: /],
      ["/predict/custom", { returns, q: -1, horizon: 5 }, /q: /],
    ];
    for (const [path, body, names] of refusals) {
      const error = expectRefused(await post(path, key, body), 400, "VALIDATION_FAILED");
      expect(error.message, JSON.stringify(body).slice(0, 80)).toMatch(names);
    }
    expect(await counted()).toEqual(before);
    // Past the schema, the service itself refuses what it cannot forecast (counted as errors).
    const unknown = expectRefused(
      await post("/predict", key, { model: "no-such-model", horizon: 5 }),
      404,
      "MODEL_NOT_FOUND",
    );
    expect(unknown.message).toMatch(/no-such-model/);
    const short = expectRefused(
      await post("/predict/custom", key, { returns: returns.slice(0, 30), horizon: 5 }),
      400,
      "VALIDATION_FAILED",
    );
    expect(short.message).toMatch(/returns: .*at least \d+ returns \(got 30\)/);
  });

  it("stays healthy, and counts only the legitimate forecasts as served", async () => {
    expect((await send("GET", "/health")).status).toBe(200);
    expect((await post("/predict", { "x-api-key": KEYS.first }, {})).status).toBe(200);
    legitimate++;
    expect((await counted()).ok).toBe(legitimate);
    expect(server.child.exitCode).toBeNull();
  });
});

describe("mlops smoke --garch --edge", () => {
  it("passes through the public route with the deploy job's API key", async () => {
    await expectSmokePasses(
      ["--garch", "--edge", "--url", route.url],
      { MLOPS_SMOKE_API_KEY: KEYS.second },
      [
        "health",
        "models/list",
        "predict",
        "predict/custom",
        "predict/custom (too short)",
        "integration",
      ],
    );
  });

  it("fails the guarded checks without the key, and passes the open ones", async () => {
    const out = await mlops(["smoke", "--garch", "--edge", "--url", route.url]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/health +ok +200/);
    expect(out.stdout).toMatch(/models\/list +ok +200/);
    expect(out.stdout).toMatch(/predict +FAIL +401 /);
    expect(out.stdout).toMatch(/predict\/custom +FAIL +401 /);
  });
});

describe("mlops loadtest through the guarded public route", () => {
  const loadtest = (env: Record<string, string>) =>
    mlops(["loadtest", "--url", route.url, "--users", "4", "--duration", "2", "--json"], env);

  it("answers every request of the design's mix with the deploy job's key", async () => {
    const out = await loadtest({ MLOPS_SMOKE_API_KEY: KEYS.first });
    expect(out.code, out.stderr).toBe(0);
    const report: LoadReport = JSON.parse(out.stdout);
    expect(report.success_rate).toBe(1);
    expect(report.paths.every((p) => p.requests > 0)).toBe(true);
  });

  it("fails without it: the predictions are refused, health and the list still answer", async () => {
    const out = await loadtest({});
    expect(out.code).toBe(1);
    const report: LoadReport = JSON.parse(out.stdout);
    const succeeded = Object.fromEntries(report.paths.map((p) => [p.path, p.succeeded]));
    expect(succeeded["/predict"]).toBe(0);
    expect(succeeded["/predict/custom"]).toBe(0);
    expect(succeeded["/health"]).toBeGreaterThan(0);
    expect(report.outcomes["401"]).toBeGreaterThan(0);
  });
});
