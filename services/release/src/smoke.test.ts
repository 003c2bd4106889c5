import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  HEALTH_PATHS,
  LiveResponseSchema,
  MAX_ANSWER_BYTES,
  ReadyResponseSchema,
} from "@mlops/contracts";
import { freePort } from "@mlops/contracts/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, DEFAULT_FEATURES, runSmoke } from "./smoke.js";

/**
 * A loopback gateway that serves the API's probes under `/api` only (404 anywhere else, but for
 * `/page`, a 200 that is not JSON, `/stall`, the start of an answer and then nothing, `/cut`, the
 * start of an answer and then a dropped connection, and `/huge`, a valid liveness answer padded
 * past the answer cap), and records the path of every request.
 */
let server: Server;
let origin: string;
const paths: string[] = [];
beforeAll(async () => {
  const answers: Record<string, unknown> = {
    [`/api${HEALTH_PATHS.live}`]: { status: "live" },
    [`/api${HEALTH_PATHS.ready}`]: { status: "ready" },
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
    const body = answers[req.url ?? ""];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: "not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});

describe("runSmoke", () => {
  it("probes every path under the base URL's path, with or without its trailing slash", async () => {
    for (const url of [`${origin}/api/`, `${origin}/api`]) {
      paths.length = 0;
      const report = await runSmoke({
        url,
        headerName: "X-Canary",
        timeoutMs: 2000,
        features: DEFAULT_FEATURES,
        routing: false,
        edge: false,
      });
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
