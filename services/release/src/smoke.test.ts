import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CANARY_OVERRIDE,
  HEALTH_PATHS,
  LiveResponseSchema,
  MAX_ANSWER_BYTES,
  ReadyResponseSchema,
} from "@mlops/contracts";
import { freePort } from "@mlops/contracts/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, DEFAULT_FEATURES, runSmoke, type SmokeOptions } from "./smoke.js";
import { runGarchSmoke } from "./smoke-garch.js";

/** An answer of the gateway: status and JSON body, or one made from the request. */
type Answer = readonly [number, unknown] | ((req: IncomingMessage) => readonly [number, unknown]);

/** The canary token the split-mode API below holds (one of its `canary-token-*` secrets). */
const CANARY_TOKEN = "canary-token-smoke";
const CLASSIFIERS = {
  champion: { name: "classifier", version: 1 },
  challenger: { name: "classifier", version: 2 },
} as const;

/**
 * The prediction API as `pnpm start` runs it (split mode, the demo models), under `/split`: the
 * answers the real server gave, the registry left out. It predicts on the arm a trusted override
 * forces and ignores an untrusted one (services/serving/src/routes/predict.ts), where its own
 * assignment put the smoke test's users on the champion.
 */
const SPLIT_API: Record<string, Answer> = {
  [HEALTH_PATHS.live]: [200, { status: "live" }],
  [HEALTH_PATHS.ready]: [200, { status: "ready" }],
  "/health": [
    200,
    {
      status: "ok",
      mode: "split",
      variant: null,
      experiment_id: "default",
      models: { ...CLASSIFIERS, garch: { name: "dem2gbp", version: 1 } },
      store: { kind: "sqlite", ok: true },
      uptime_s: 223.4,
    },
  ],
  "/models": [
    200,
    {
      served: [
        { variant: "champion", ...CLASSIFIERS.champion, kind: "classifier", algorithm: "forest" },
        { variant: "challenger", ...CLASSIFIERS.challenger, kind: "classifier", algorithm: "gbdt" },
        { variant: "garch", name: "dem2gbp", version: 1, kind: "garch", algorithm: null },
      ],
      registered: [],
    },
  ],
  "/predict": (req) => {
    const forced = req.headers[CANARY_OVERRIDE.header] === "always" ? "challenger" : "champion";
    const trusted =
      req.headers[CANARY_OVERRIDE.header] !== undefined &&
      req.headers[CANARY_OVERRIDE.tokenHeader] === CANARY_TOKEN;
    const variant = trusted ? forced : "champion";
    const model = CLASSIFIERS[variant];
    return [
      200,
      {
        request_id: "01a25292-dc96-70de-a699-e0743801fe35",
        prediction: "1",
        probability: 0.52,
        probabilities: { "0": 0.48, "1": 0.52 },
        variant,
        model,
        model_version: String(model.version),
        experiment_id: "default",
      },
    ];
  },
  "/garch/forecast": [
    200,
    {
      horizon: 5,
      variance: [0.147, 0.152, 0.156, 0.161, 0.165],
      volatility: [0.383, 0.39, 0.395, 0.401, 0.406],
      model: { name: "dem2gbp", version: 1 },
    },
  ],
};

/**
 * The GARCH volatility service as `MLOPS_MODE=garch pnpm start` runs it, under `/vol`: the probes
 * and the model list of a process that serves no classifier, as the real server answered (the
 * registry left out).
 */
const GARCH_SERVICE: Record<string, Answer> = {
  [HEALTH_PATHS.live]: [200, { status: "live" }],
  [HEALTH_PATHS.ready]: [200, { status: "ready" }],
  "/models": [
    200,
    {
      served: [{ variant: "garch", name: "dem2gbp", version: 1, kind: "garch", algorithm: null }],
      registered: [],
    },
  ],
};

/** What the GARCH service answers `/health` with, 503, when its store does not answer. */
const UNHEALTHY = {
  status: "unhealthy",
  timestamp: "2026-12-07T22:14:45.495Z",
  reason: "the store did not answer",
};

/** `answers` with each path under `prefix`. */
const under = (prefix: string, answers: Record<string, Answer>): Record<string, Answer> =>
  Object.fromEntries(Object.entries(answers).map(([path, answer]) => [prefix + path, answer]));

/**
 * A loopback gateway that serves the API's probes under `/api` (404 anywhere else, but for
 * `/page`, a 200 that is not JSON, `/stall`, the start of an answer and then nothing, `/cut`, the
 * start of an answer and then a dropped connection, and `/huge`, a valid liveness answer padded
 * past the answer cap), the split-mode API under `/split`, the GARCH service under `/vol` (and
 * its `/health` unhealthy under `/vol-down`, breaking its contract under `/vol-odd`), and records
 * the path of every request.
 */
let server: Server;
let origin: string;
const paths: string[] = [];
beforeAll(async () => {
  const answers: Record<string, Answer> = {
    [`/api${HEALTH_PATHS.live}`]: [200, { status: "live" }],
    [`/api${HEALTH_PATHS.ready}`]: [200, { status: "ready" }],
    ...under("/split", SPLIT_API),
    ...under("/vol", GARCH_SERVICE),
    "/vol-down/health": [503, UNHEALTHY],
    // The service's own health answer, with fields missing.
    "/vol-odd/health": [200, { status: "healthy", service: "garch" }],
  };
  server = createServer((req, res) => {
    paths.push(req.url ?? "");
    if (req.url === "/page") return res.writeHead(200).end("<html>sign in</html>");
    if (req.url === "/stall") return res.writeHead(200).write('{"status":');
    if (req.url === "/cut") {
      res.writeHead(200).write('{"status":');
      return setTimeout(() => res.destroy(), 20);
    }
    if (req.url === "/huge") {
      const padded = { status: "live", pad: "x".repeat(MAX_ANSWER_BYTES) };
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(padded));
    }
    const answer = answers[req.url ?? ""] ?? [404, { error: "not found" }];
    const [status, body] = typeof answer === "function" ? answer(req) : answer;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});

/** The smoke test of `url` with the CLI's defaults, routing checks on, and `options`. */
const smoke = (url: string, options: Partial<SmokeOptions> = {}) =>
  runSmoke({
    url,
    headerName: "X-Canary",
    timeoutMs: 2000,
    features: DEFAULT_FEATURES,
    routing: true,
    edge: false,
    ...options,
  });

/** `[name, ok, detail]` of each check of `report`. */
const rows = (report: { checks: readonly { name: string; ok: boolean; detail: string }[] }) =>
  report.checks.map((c) => [c.name, c.ok, c.detail]);

describe("runSmoke", () => {
  it("probes every path under the base URL's path, with or without its trailing slash", async () => {
    for (const url of [`${origin}/api/`, `${origin}/api`]) {
      paths.length = 0;
      const report = await smoke(url, { routing: false });
      expect(paths, url).toEqual([
        "/api/health/live",
        "/api/health/ready",
        "/api/models",
        "/api/predict",
      ]);
      expect(report.checks.slice(0, 2).map((c) => [c.name, c.ok])).toEqual([
        ["health/live", true],
        ["health/ready", true],
      ]);
    }
  });

  it("fails a split-mode process's routing saying it assigns arms itself, and names --no-routing", async () => {
    const url = `${origin}/split`;
    const split = `${url} serves both arms in one process (split mode): it assigns each user's arm itself and ignores x-canary without a valid x-canary-token; pass --no-routing to skip the routing checks`;
    const routes = async (options: Partial<SmokeOptions>) => {
      const report = await smoke(url, options);
      expect(report.checks.slice(0, -2).every((c) => c.ok)).toBe(true);
      return rows(report).slice(-2);
    };
    // Without a token, or with one it does not hold, the arm is its own pick.
    for (const canaryToken of [undefined, "not-its-token"]) {
      expect(await routes({ canaryToken })).toEqual([
        ["route X-Canary: always", false, `champion classifier@1 (expected challenger): ${split}`],
        ["route X-Canary: never", true, "champion classifier@1 (expected champion)"],
      ]);
    }
    // With a token it holds, the override pins each arm there too.
    expect(await routes({ canaryToken: CANARY_TOKEN })).toEqual([
      ["route X-Canary: always", true, "challenger classifier@2 (expected challenger)"],
      ["route X-Canary: never", true, "champion classifier@1 (expected champion)"],
    ]);
    expect((await smoke(url, { routing: false })).ok).toBe(true);
  });

  it("still fails an arm the header did not pin through the public route, which lists no models", async () => {
    const report = await smoke(`${origin}/split`, { edge: true });
    expect(rows(report).filter(([name]) => String(name).startsWith("route"))).toEqual([
      [
        "route X-Canary: always",
        false,
        "champion classifier@1 (expected challenger): X-Canary did not pin the arm; a process serving both arms (split mode, as pnpm start runs) assigns them itself, and --no-routing skips these checks for one",
      ],
      ["route X-Canary: never", true, "champion classifier@1 (expected champion)"],
    ]);
  });

  it("says the GARCH volatility service is not the prediction API, and to use --garch", async () => {
    const url = `${origin}/vol`;
    paths.length = 0;
    const report = await smoke(url);
    expect(rows(report)).toEqual([
      ["health/live", true, "live"],
      ["health/ready", true, "ready"],
      ["models", true, "garch=dem2gbp@1"],
      [
        "predict",
        false,
        `${url} is the GARCH volatility service (MLOPS_MODE=garch), which serves no classifier: smoke it with --garch`,
      ],
    ]);
    expect(paths).toEqual(["/vol/health/live", "/vol/health/ready", "/vol/models"]);
  });
});

describe("runGarchSmoke", () => {
  it("says plainly when the URL is not the GARCH volatility service, with what it answered", async () => {
    for (const edge of [false, true]) {
      // The prediction API answers /health in its own shape; its public route does not publish it.
      for (const [url, answered] of [
        [`${origin}/split`, 'HTTP 200: {"status":"ok","mode":"split","variant":null,'],
        [`${origin}/api`, 'HTTP 404: {"error":"not found"}'],
      ] as const) {
        paths.length = 0;
        const report = await runGarchSmoke({ url, timeoutMs: 2000, edge });
        expect(report.ok).toBe(false);
        expect(report.checks.map((c) => c.name)).toEqual(["health"]);
        expect(report.checks[0]!.detail).toMatch(
          `${url} is not the GARCH volatility service: GET /health answered ${answered}`,
        );
        expect(paths, "nothing after the answer that tells").toHaveLength(1);
      }
    }
  });

  it("reports the GARCH service's own unhealthy or broken health as it is, and runs the rest", async () => {
    for (const [url, detail] of [
      [`${origin}/vol-down`, `HTTP 503: ${JSON.stringify(UNHEALTHY)}`],
      [`${origin}/vol-odd`, "response breaks the contract at timestamp: Invalid input"],
    ] as const) {
      const report = await runGarchSmoke({ url, timeoutMs: 2000, edge: true });
      expect(report.checks[0]!.detail, url).toMatch(detail);
      expect(report.checks.map((c) => c.name)).toEqual([
        "health",
        "models/list",
        "predict",
        "predict/custom",
        "predict/custom (too short)",
        "integration",
      ]);
    }
  });
});

describe("check", () => {
  /** The failed check of GET `path` read by `schema`, as the smoke report shows it. */
  const failed = async (
    path: string,
    schema: typeof LiveResponseSchema | typeof ReadyResponseSchema = LiveResponseSchema,
    timeoutMs = 2000,
  ) => {
    const { check: c } = await check(
      "probe",
      { url: origin, timeoutMs },
      { path, schema },
      () => "",
    );
    expect(c.ok, path).toBe(false);
    return [c.status, c.detail];
  };

  it("says what went wrong, in the words the pipeline prints", async () => {
    expect(await failed("/nowhere")).toEqual([404, 'HTTP 404: {"error":"not found"}']);
    expect(await failed("/page")).toEqual([200, "not JSON: <html>sign in</html>"]);
    expect(await failed(`/api${HEALTH_PATHS.live}`, ReadyResponseSchema)).toEqual([
      200,
      'response breaks the contract at status: Invalid input: expected "ready"',
    ]);
    expect(await failed("/cut")).toEqual([
      200,
      "HTTP 200: the answer was cut off mid-body (other side closed)",
    ]);
    expect(await failed("/huge")).toEqual([
      200,
      "HTTP 200: the answer's body is over the 4 MiB cap",
    ]);
    expect(await failed("/stall", LiveResponseSchema, 100)).toEqual([
      undefined,
      "no answer within 100 ms",
    ]);
    const port = await freePort();
    const { check: refused } = await check(
      "probe",
      { url: `http://127.0.0.1:${port}`, timeoutMs: 2000 },
      { path: "/", schema: LiveResponseSchema },
      () => "",
    );
    expect([refused.status, refused.detail]).toEqual([
      undefined,
      `connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });
});
