/**
 * The API in its prod configuration, as a real process on loopback, against hostile requests.
 * Prod is what the platform renders into a serving pod: one arm per process (`single`), API keys
 * mounted from Key Vault (`MLOPS_SECRETS_DIR`, here a directory this suite writes as the CSI
 * driver would), a canary token, and operational paths refused to anything that came through the
 * public route (which sets `X-Forwarded-For`). Every hostile request must be refused with its
 * documented status and `ErrorResponse` body; afterwards the process is healthy, and the
 * experiment's numbers (predictions counted, predictions in the log, overrides) hold only the
 * legitimate requests.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AbStatsResponseSchema, EDGE_SECRETS, PUBLIC_PATH_PREFIXES } from "@mlops/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { START, type Started, start } from "../platform/process.js";
import { scratchSuite } from "../platform/scratch.js";
import { expectRefused, jsonHeaders, sendTo, viaEdge, writeSecrets } from "./edge-http.js";

const suite = scratchSuite("mlops-hostile-");
let secrets: string;
let server: Started;

/** How often the server re-reads its mounted secrets here, so a rotation shows within the test. */
const REFRESH_MS = 1000;
const KEYS = { first: "live-key-one", second: "live-key-two", rotated: "live-key-one-b" };
const CANARY_TOKEN = "smoke-test-canary-token";
const row = [0.5, -1.2, 0.3, 1.1, -0.4];

beforeAll(async () => {
  const files = EDGE_SECRETS.map((s) => s.file);
  expect(files).toEqual(["api-key-1", "api-key-2", "canary-token-1", "canary-token-2"]);
  secrets = await writeSecrets(suite.dir, {
    "api-key-1": `${KEYS.first}\n`,
    "api-key-2": KEYS.second,
    "canary-token-1": CANARY_TOKEN,
  });
  server = await start(START, suite.dir, {
    MLOPS_MODE: "single",
    MLOPS_VARIANT: "challenger",
    MLOPS_WORKERS: "1",
    MLOPS_AUTH: "api-keys",
    MLOPS_SECRETS_DIR: secrets,
    MLOPS_SECRETS_REFRESH_MS: String(REFRESH_MS),
    MLOPS_OPS_INTERNAL_ONLY: "true",
    MLOPS_LOG_FLUSH_MS: "50",
  });
  suite.running.push(server);
}, 300_000);

/** One raw HTTP request to the server on its own connection. */
const send = sendTo(() => server.url);
const predict = (extra: Record<string, string> = {}, body: unknown = { features: row }) =>
  send("POST", "/predict", jsonHeaders(extra), JSON.stringify(body));

/** The experiment's numbers, read inside the cluster (no proxy headers). */
async function experimentNumbers() {
  const metrics = (await send("GET", "/metrics")).body;
  const sum = (name: string) =>
    metrics
      .split("\n")
      .filter((l) => l.startsWith(`${name}{`))
      .reduce((t, l) => t + Number(l.split(" ").at(-1)), 0);
  // The A/B stats sit beside /feedback, behind the key, in the cluster as outside it.
  const answer = await send("GET", "/ab-test/stats", { "x-api-key": KEYS.second });
  const stats = AbStatsResponseSchema.parse(JSON.parse(answer.body));
  return {
    counted: sum("prediction_requests_total"),
    overrides: sum("prediction_overrides_total"),
    logged: stats.variants.reduce((t, v) => t + v.count, 0),
  };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the API in its prod configuration, against hostile requests", () => {
  let legitimate = 0;

  it("serves a caller with either live key through the public route", async () => {
    for (const key of [KEYS.first, KEYS.second]) {
      const res = await predict({ "x-api-key": key });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).variant).toBe("challenger");
      legitimate++;
    }
  });

  it("refuses a missing, a wrong and an oversized key with 401 and a challenge", async () => {
    const refused: Record<string, string>[] = [
      {},
      { "x-api-key": "guessed-key" },
      { "x-api-key": "k".repeat(10_000) },
    ];
    for (const headers of refused) {
      const res = await predict(headers);
      expectRefused(res, 401, "UNAUTHORIZED");
      expect(res.headers["www-authenticate"]).toBe(
        'ApiKey realm="predictions", header="x-api-key"',
      );
    }
  });

  it("refuses a revoked key once its secret has a new version, while the other key serves on", async () => {
    // Key Vault got a new version of serving-api-key-1; the CSI driver rewrote the file.
    await writeFile(join(secrets, "api-key-1"), KEYS.rotated);
    await until(
      "the rotated key",
      () => predict({ "x-api-key": KEYS.rotated }),
      (r) => r.status === 200,
    );
    legitimate++;
    expectRefused(await predict({ "x-api-key": KEYS.first }), 401, "UNAUTHORIZED");
    expect((await predict({ "x-api-key": KEYS.second })).status).toBe(200);
    legitimate++;
  });

  it("refuses a forged canary header or cookie with 403, even with a live key", async () => {
    const key = { "x-api-key": KEYS.second };
    const forgeries: Record<string, string>[] = [
      { "x-canary": "always" },
      { "x-canary": "never" },
      { "x-canary": "always", "x-canary-token": "guessed-token" },
      { cookie: "mlops-canary=always" },
      { cookie: "session=1; mlops-canary=never", "x-canary-token": "" },
    ];
    for (const forged of forgeries) {
      expectRefused(await predict({ ...key, ...forged }), 403, "CANARY_OVERRIDE_FORBIDDEN");
    }
  });

  it("does not answer operational paths to a request from the public route", async () => {
    for (const path of [
      "/metrics",
      "/docs",
      "/docs/json",
      "/dashboard",
      "/models",
      "/ab-test/stats",
      "/health",
      "/health/live",
    ]) {
      expect(PUBLIC_PATH_PREFIXES.some((p) => path.startsWith(p))).toBe(false);
      expectRefused(await send("GET", path, viaEdge), 404, "NOT_FOUND");
    }
    // The readiness path is public: the availability test probes it from outside.
    expect((await send("GET", "/health/ready", viaEdge)).status).toBe(200);
  });

  it("refuses oversized, malformed and mistyped bodies with a 4xx", async () => {
    const key = { "x-api-key": KEYS.second };
    const huge = Buffer.alloc(3 * 1024 * 1024, "1");
    expectRefused(
      await send("POST", "/predict/batch", jsonHeaders(key), huge),
      413,
      "FST_ERR_CTP_BODY_TOO_LARGE",
    );
    expectRefused(
      await send("POST", "/predict", jsonHeaders(key), '{"features": [1, 2,'),
      400,
      "FST_ERR_CTP_INVALID_JSON_BODY",
    );
    expectRefused(
      await send("POST", "/predict", { ...viaEdge, ...key, "content-type": "text/xml" }, "<x/>"),
      415,
      "FST_ERR_CTP_INVALID_MEDIA_TYPE",
    );
    expectRefused(
      await predict(key, { features: ["a", "b"], admin: true }),
      400,
      "VALIDATION_FAILED",
    );
    const many = await send(
      "POST",
      "/garch/fit-forecast",
      jsonHeaders(key),
      JSON.stringify({ returns: Array.from({ length: 300 }, (_, i) => `r${i}`) }),
    );
    const error = expectRefused(many, 400, "VALIDATION_FAILED");
    expect(error.issue_count).toBeGreaterThanOrEqual(300);
    // Node refuses a request whose headers outgrow its limit before the app sees it.
    const bigHeader = await send(
      "POST",
      "/predict",
      { ...jsonHeaders(key), "x-pad": "p".repeat(20_000) },
      "{}",
    );
    expect(bigHeader.status).toBe(431);
  });

  it("serves a trusted caller's forced arm apart from the experiment", async () => {
    const res = await predict({
      "x-api-key": KEYS.second,
      "x-canary": "always",
      "x-canary-token": CANARY_TOKEN,
    });
    expect(res.status).toBe(200);
  });

  it("stays healthy, and the experiment holds the legitimate predictions only", async () => {
    expect((await send("GET", "/health/ready")).status).toBe(200);
    expect((await predict({ "x-api-key": KEYS.rotated })).status).toBe(200);
    legitimate++;
    const numbers = await until(
      "the prediction log to be written",
      experimentNumbers,
      (n) => n.logged >= legitimate,
    );
    expect(numbers).toEqual({ counted: legitimate, logged: legitimate, overrides: 1 });
    expect(server.child.exitCode).toBeNull();
    expect(await server.stop("SIGTERM")).toBe(0);
  });
});
