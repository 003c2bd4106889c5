/**
 * A closed-loop load test usable against any deployment: `users` concurrent clients, each sending
 * its next request as soon as the last one answered, for `durationMs`. It reports what a client
 * saw: the share of requests answered 2xx with the JSON their route promises, latency (mean, p50,
 * p95, p99, max; from a bounded histogram, so an hour-long run costs no more memory than a
 * minute), requests per second, each path's own figures, and what to check when most answers were
 * 404 or a 2xx was not JSON. By default the mix is the GARCH service's contract, the design's load
 * test: health, the models list, a forecast and a fit of posted returns, in turn.
 */
import {
  decimalText,
  fetchJson,
  GARCH_SERVICE_PATHS,
  GarchCustomResponseSchema,
  GarchHealthySchema,
  GarchModelsListSchema,
  GarchPredictResponseSchema,
  HEALTH_PATHS,
  parseOrThrow,
  ROUTE_PATH,
  ServiceUrlSchema,
  serviceUrl,
} from "@mlops/contracts";
import { type ZodType, z } from "zod";
import { LatencyHistogram } from "./latency-histogram.js";
import { smokeReturns } from "./smoke.js";

/** One request of the mix. */
export interface LoadRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: unknown;
  /** What a 2xx answer's body must be (its route's contract). Default: any JSON. */
  readonly answer?: ZodType;
}

/** The GARCH service's requests, as its clients send them, with the answers its contract gives. */
export function garchServiceRequests(): Record<string, LoadRequest> {
  const { health, models, predict, custom } = GARCH_SERVICE_PATHS;
  return {
    [health]: { method: "GET", path: health, answer: GarchHealthySchema },
    [models]: { method: "GET", path: models, answer: GarchModelsListSchema },
    [predict]: {
      method: "POST",
      path: predict,
      body: { horizon: 5 },
      answer: GarchPredictResponseSchema,
    },
    [custom]: {
      method: "POST",
      path: custom,
      body: { returns: smokeReturns().slice(0, 250), p: 1, q: 1, horizon: 5 },
      answer: GarchCustomResponseSchema,
    },
  };
}

/**
 * The requests for `paths`: with a `body`, each path POSTed with it (a prediction API's
 * `/predict`); without, the GARCH service's own bodies for its paths and GET for any other.
 */
export function requestsFor(paths: readonly string[], body?: unknown): LoadRequest[] {
  if (body !== undefined) return paths.map((path) => ({ method: "POST", path, body }));
  const known = garchServiceRequests();
  if (paths.length === 0) return Object.values(known);
  return paths.map((path) => known[path] ?? { method: "GET", path });
}

/** Counts while the test runs, for progress bars. */
export interface LoadProgress {
  readonly elapsedMs: number;
  readonly requests: number;
  readonly failed: number;
}

export interface LoadTestOptions {
  /** Base URL of the service; its path is a prefix of every request's (`serviceUrl`). */
  readonly url: string;
  /** Concurrent clients. */
  readonly users: number;
  readonly durationMs: number;
  /** The mix each client cycles through (client i starts at request i). */
  readonly requests: readonly LoadRequest[];
  /** Longest wait for one answer; a request that waits longer counts as failed. */
  readonly timeoutMs: number;
  /** Headers sent with every request: the caller's credential where the service demands one. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Called about every `progressEveryMs` while the test runs. */
  readonly onProgress?: (progress: LoadProgress) => void;
  /** @default 500 */
  readonly progressEveryMs?: number;
}

/** Latency figures in milliseconds. */
export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** One path's figures. */
export interface PathReport {
  readonly method: string;
  readonly path: string;
  readonly requests: number;
  readonly succeeded: number;
  readonly latency_ms: LatencySummary;
}

/** What `mlops loadtest` prints (`--json`: this object). */
export interface LoadReport {
  readonly url: string;
  readonly users: number;
  /** Wall time from the first request to the last answer, in seconds. */
  readonly duration_s: number;
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Share of requests answered 2xx with the JSON their route promises, 0–1. */
  readonly success_rate: number;
  readonly requests_per_second: number;
  readonly latency_ms: LatencySummary;
  readonly paths: readonly PathReport[];
  /**
   * Answers by HTTP status, but for a 2xx whose body is not JSON (`not-json`) or not its route's
   * (`contract`), one cut off mid-body (`cut-off`) and one over the answer cap (`too-large`);
   * failures without an answer by their cause (`timeout`, `ECONNREFUSED`, …).
   */
  readonly outcomes: Readonly<Record<string, number>>;
  /**
   * What to check, one line each, when a path's answers were mostly 404 (`notFoundHint`) or a 2xx
   * was not the JSON its route promises (`notJsonHint`); null when neither.
   */
  readonly hint: string | null;
}

function summary(h: LatencyHistogram): LatencySummary {
  return {
    mean: h.mean,
    p50: h.quantile(0.5),
    p95: h.quantile(0.95),
    p99: h.quantile(0.99),
    max: h.max,
  };
}

/** How one request went. */
interface Outcome {
  /** Its key in the report's `outcomes`. */
  readonly name: string;
  /** The answer's status, when one came. */
  readonly status?: number;
  /** A 2xx whose body is the JSON its route promises. */
  readonly ok: boolean;
}

/** Sends `request` and reads its whole answer (a client's latency ends with the last byte). */
async function send(
  url: URL,
  request: LoadRequest,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<Outcome> {
  const result = await fetchJson({
    url,
    method: request.method,
    headers,
    body: request.body,
    schema: request.answer ?? ANY_JSON,
    timeoutMs,
    // A page served as 200 (a gateway's default page, a catch-all route) is not a success.
    jsonContentType: true,
  });
  if (result.ok) return { name: String(result.status), status: result.status, ok: true };
  const { failure } = result;
  switch (failure.kind) {
    case "timeout":
      return { name: "timeout", ok: false };
    case "unreachable":
      // Tallied by the shortest name of the reason: a system error's code, else fetch's own
      // words (it refuses some ports as "bad port").
      return { name: failure.code ?? failure.message, ok: false };
    case "status":
      return { name: String(failure.status), status: failure.status, ok: false };
    case "not-json":
    case "contract":
    case "cut-off":
    case "too-large":
      return { name: failure.kind, status: failure.status, ok: false };
  }
}

/** The body of an answer whose route names no contract: any JSON. */
const ANY_JSON = z.unknown();

/**
 * One request of the mix and how its answers went: how many had a status, how many were 404, and
 * how many were 2xx but not the JSON its route promises.
 */
export interface PathAnswers {
  readonly method: string;
  readonly path: string;
  readonly answered: number;
  readonly notFound: number;
  readonly notJson: number;
}

/** What to check when a route answered as if it were not the service's. */
const CHECK_URL_AND_PATHS =
  "check that --url is the service's base URL (each --path is requested under its path) and that each --path is one of its routes";

/**
 * Advice when a path's answers were mostly 404 (more than half of those with a status): it names
 * a route the service does not have. A mix of the GARCH service's own routes (what runs without
 * `--path`) points at the other service, whose routes only partly overlap; any other mix at the
 * base URL or the paths. Judged path by path: a mix whose other routes answer hides a lost one in
 * the total.
 */
export function notFoundHint(
  answers: readonly PathAnswers[],
  requests: readonly LoadRequest[],
): string | null {
  const lost = answers.filter((a) => a.answered > 0 && a.notFound * 2 > a.answered);
  if (lost.length === 0) return null;
  const head = `${lost
    .map((a) => `${a.method} ${a.path} (${a.notFound} of ${a.answered})`)
    .join(", ")} answered 404 Not Found`;
  const garch = garchServiceRequests();
  if (requests.every((r) => garch[r.path] !== undefined)) {
    const mix = requests.map((r) => `${r.method} ${r.path}`).join(", ");
    return (
      `${head}: the requests (${mix}) are the GARCH service's routes, the mix sent when --path is not given; ` +
      `to load-test the prediction API, name its routes with --path (e.g. --path ${HEALTH_PATHS.ready}; ` +
      "a path not of the GARCH service is sent as GET, or POSTed with --body's JSON: " +
      `--path /predict --body '{"features":[…]}')`
    );
  }
  return `${head}: ${CHECK_URL_AND_PATHS}`;
}

/**
 * Advice when a path answered 2xx with a body that is not the JSON its route promises (an HTML or
 * text page, or JSON off its contract), even once: something other than the service answered, as
 * a gateway's default page or a catch-all route does at a wrong base URL or path.
 */
export function notJsonHint(answers: readonly PathAnswers[]): string | null {
  const off = answers.filter((a) => a.notJson > 0);
  if (off.length === 0) return null;
  const paths = off.map((a) => `${a.method} ${a.path} (${a.notJson} of ${a.answered})`).join(", ");
  return (
    `${paths} answered 2xx with a body that is not the JSON its route promises (outcomes not-json, contract): ` +
    `a gateway's default page or a catch-all route may be answering in the service's place; ${CHECK_URL_AND_PATHS}`
  );
}

/** Runs the load test and reports it; requests in flight at the deadline are waited for. */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadReport> {
  if (options.requests.length === 0) throw new Error("a load test needs at least one request");
  const targets = options.requests.map((r) => ({
    ...r,
    url: serviceUrl(options.url, r.path),
  }));
  const overall = new LatencyHistogram();
  const perPath = targets.map(() => ({
    histogram: new LatencyHistogram(),
    succeeded: 0,
    answered: 0,
    notFound: 0,
    notJson: 0,
  }));
  const outcomes: Record<string, number> = {};
  let succeeded = 0;

  const started = performance.now();
  const deadline = started + options.durationMs;
  const user = async (index: number) => {
    for (let i = index; performance.now() < deadline; i++) {
      const k = i % targets.length;
      const sentAt = performance.now();
      const outcome = await send(targets[k]!.url, targets[k]!, options.timeoutMs, options.headers);
      const ms = performance.now() - sentAt;
      const path = perPath[k]!;
      outcomes[outcome.name] = (outcomes[outcome.name] ?? 0) + 1;
      overall.record(ms);
      path.histogram.record(ms);
      if (outcome.status !== undefined) path.answered += 1;
      if (outcome.status === 404) path.notFound += 1;
      if (outcome.name === "not-json" || outcome.name === "contract") path.notJson += 1;
      if (outcome.ok) {
        succeeded += 1;
        path.succeeded += 1;
      }
    }
  };
  const progress = options.onProgress
    ? setInterval(
        () =>
          options.onProgress?.({
            elapsedMs: performance.now() - started,
            requests: overall.count,
            failed: overall.count - succeeded,
          }),
        options.progressEveryMs ?? 500,
      )
    : undefined;
  try {
    await Promise.all(Array.from({ length: options.users }, (_, i) => user(i)));
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  const requests = overall.count;
  const answers = targets.map((b, k) => ({
    method: b.method,
    path: b.path,
    answered: perPath[k]!.answered,
    notFound: perPath[k]!.notFound,
    notJson: perPath[k]!.notJson,
  }));
  return {
    url: options.url,
    users: options.users,
    duration_s: seconds,
    requests,
    succeeded,
    failed: requests - succeeded,
    success_rate: requests === 0 ? 0 : succeeded / requests,
    requests_per_second: requests / seconds,
    latency_ms: summary(overall),
    paths: targets.map((b, k) => ({
      method: b.method,
      path: b.path,
      requests: perPath[k]!.histogram.count,
      succeeded: perPath[k]!.succeeded,
      latency_ms: summary(perPath[k]!.histogram),
    })),
    outcomes,
    hint: hintLines([notFoundHint(answers, options.requests), notJsonHint(answers)]),
  };
}

/** The hints given, one a line; null when none is. */
function hintLines(hints: readonly (string | null)[]): string | null {
  const given = hints.filter((h) => h !== null);
  return given.length === 0 ? null : given.join("\n");
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

/** The report for people: totals, then one row per path, then the outcomes and any hint. */
export function formatLoadReport(report: LoadReport): string {
  const l = report.latency_ms;
  const head = [
    `load test of ${report.url}: ${report.users} users for ${report.duration_s.toFixed(1)} s`,
    `  requests      ${report.requests} (${report.succeeded} ok, ${report.failed} failed)`,
    `  success rate  ${(report.success_rate * 100).toFixed(2)} %`,
    `  throughput    ${report.requests_per_second.toFixed(1)} requests/s`,
    `  latency       mean ${ms(l.mean)}  p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
    "",
  ];
  const rows = [
    ["REQUEST", "COUNT", "OK", "MEAN", "P50", "P95", "P99"],
    ...report.paths.map((p) => [
      `${p.method} ${p.path}`,
      String(p.requests),
      String(p.succeeded),
      ms(p.latency_ms.mean),
      ms(p.latency_ms.p50),
      ms(p.latency_ms.p95),
      ms(p.latency_ms.p99),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "),
  );
  const outcomes = Object.entries(report.outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}: ${n}`)
    .join(", ");
  const hint = report.hint === null ? [] : report.hint.split("\n").map((h) => `hint: ${h}`);
  return `${[...head, ...table, "", `outcomes: ${outcomes || "none"}`, ...hint].join("\n")}\n`;
}

/** What `mlops loadtest` accepts, as typed flags (each error names the flag and its rule). */
export const LoadTestFlagsSchema = z
  .object({
    "--url": ServiceUrlSchema,
    "--users": decimalText(z.number().int().min(1).max(1000), true),
    "--duration": decimalText(z.number().positive().max(3600)),
    "--timeout": decimalText(z.number().positive().max(300)),
    "--path": z.array(
      z
        .string()
        .regex(ROUTE_PATH, { error: "must be a path under --url: one leading /, no spaces" }),
    ),
    "--min-success": decimalText(z.number().min(0).max(100)),
    "--body": z
      .string()
      .optional()
      .transform((text, ctx) => {
        if (text === undefined) return undefined;
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `must be JSON: ${(error as Error).message}` });
          return z.NEVER;
        }
      }),
  })
  .refine((f) => f["--body"] === undefined || f["--path"].length > 0, {
    path: ["--body"],
    error: "needs --path: the body is POSTed to each --path given",
  });

/** Parses the raw flags into load test options; throws `ContractValidationError` naming the flag. */
export function loadTestOptions(
  raw: {
    [K in keyof z.input<typeof LoadTestFlagsSchema>]: unknown;
  },
): {
  options: Omit<LoadTestOptions, "onProgress">;
  minSuccessRate: number;
} {
  const f = parseOrThrow(LoadTestFlagsSchema, raw, "loadtest");
  return {
    options: {
      url: f["--url"],
      users: f["--users"],
      durationMs: f["--duration"] * 1000,
      timeoutMs: f["--timeout"] * 1000,
      requests: requestsFor(f["--path"], f["--body"]),
    },
    minSuccessRate: f["--min-success"] / 100,
  };
}
