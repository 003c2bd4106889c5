import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_ANSWER_BYTES } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatLoadReport,
  loadTestOptions,
  notFoundHint,
  notJsonHint,
  requestsFor,
  runLoadTest,
} from "./loadtest.js";

/**
 * A real HTTP server on loopback with known behaviour: `/ok` answers 200 with `{}`, `/fail` 500,
 * `/slow` answers after 300 ms, anything under `/gone/` 404, `/page` 200 with an HTML page,
 * `/plain` 200 with JSON sent as text, `/cut` the start of a 200 and then a dropped connection,
 * `/huge` a 200 of JSON past the answer cap, and POSTs record the body's length, so the report can
 * be checked exactly.
 */
let server: Server;
let url: string;
const PAGE = "<html><body>Welcome to nginx!</body></html>";
const HUGE = JSON.stringify({ pad: "x".repeat(MAX_ANSWER_BYTES) });
const posted: number[] = [];
/** The `x-api-key` of every request, as the server saw it. */
const keys: (string | undefined)[] = [];
/** The path of every request, as the server saw it. */
const paths: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    keys.push(req.headers["x-api-key"] as string | undefined);
    paths.push(req.url ?? "");
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
    });
    req.on("end", () => {
      if (req.method === "POST") posted.push(size);
      const answer = (status: number) =>
        res.writeHead(status, { "content-type": "application/json" }).end("{}");
      if (req.url === "/slow") setTimeout(() => answer(200), 300);
      else if (req.url === "/page") res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      else if (req.url === "/plain") res.writeHead(200, { "content-type": "text/plain" }).end("{}");
      else if (req.url === "/cut") {
        res.writeHead(200, { "content-type": "application/json" }).write("{");
        setTimeout(() => res.destroy(), 10);
      } else if (req.url === "/huge") {
        res.writeHead(200, { "content-type": "application/json" }).end(HUGE);
      } else if (req.url?.startsWith("/gone/")) answer(404);
      else answer(req.url === "/fail" ? 500 : 200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("runLoadTest", () => {
  it("counts every answer, its status and its latency, per path and overall", async () => {
    const seen: number[] = [];
    const report = await runLoadTest({
      url,
      users: 3,
      durationMs: 400,
      requests: requestsFor(["/ok", "/fail"]),
      timeoutMs: 2000,
      progressEveryMs: 100,
      onProgress: (p) => seen.push(p.requests),
    });
    expect(report.requests).toBeGreaterThan(10);
    expect(report.requests).toBe(report.succeeded + report.failed);
    expect(report.outcomes).toEqual({ "200": report.succeeded, "500": report.failed });
    // Each user alternates, so the two paths differ by at most one request per user.
    const [ok, fail] = report.paths;
    expect(ok).toMatchObject({ method: "GET", path: "/ok", succeeded: ok!.requests });
    expect(fail!.succeeded).toBe(0);
    expect(Math.abs(ok!.requests - fail!.requests)).toBeLessThanOrEqual(3);
    expect(report.success_rate).toBeCloseTo(report.succeeded / report.requests, 12);
    expect(report.requests_per_second).toBeCloseTo(report.requests / report.duration_s, 6);
    const l = report.latency_ms;
    expect(l.p50).toBeLessThanOrEqual(l.p95);
    expect(l.p95).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(formatLoadReport(report)).toMatch(/success rate\s+\d+\.\d\d %/);
    expect(report.hint).toBeNull();
  });

  it("counts a request past its timeout and a refused connection as failures with their cause", async () => {
    const slow = await runLoadTest({
      url,
      users: 2,
      durationMs: 150,
      requests: requestsFor(["/slow"]),
      timeoutMs: 50,
    });
    expect(slow.outcomes).toEqual({ timeout: slow.requests });
    expect(slow.success_rate).toBe(0);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await runLoadTest({
      url: `http://127.0.0.1:${port}`,
      users: 1,
      durationMs: 50,
      requests: requestsFor(["/ok"]),
      timeoutMs: 500,
    });
    expect(Object.keys(refused.outcomes)).toEqual(["ECONNREFUSED"]);
    // Port 9 (discard) is one fetch will not connect to: the reason, not "TypeError".
    const blocked = await runLoadTest({
      url: "http://127.0.0.1:9",
      users: 1,
      durationMs: 20,
      requests: requestsFor(["/ok"]),
      timeoutMs: 500,
    });
    expect(Object.keys(blocked.outcomes)).toEqual(["bad port"]);
  });

  it("sends the GARCH service's own requests by default, with their bodies", async () => {
    const mix = requestsFor([]);
    expect(mix.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /health",
      "GET /models/list",
      "POST /predict",
      "POST /predict/custom",
    ]);
    posted.length = 0;
    const report = await runLoadTest({
      url,
      users: 4,
      durationMs: 200,
      requests: mix,
      timeoutMs: 500,
    });
    // Every POST arrived whole: only the two bodies' sizes were seen, each once per request.
    const sizes = [JSON.stringify(mix[2]!.body).length, JSON.stringify(mix[3]!.body).length];
    expect(new Set(posted)).toEqual(new Set(sizes));
    expect(posted).toHaveLength(report.paths[2]!.requests + report.paths[3]!.requests);
  });

  it("sends the caller's headers with every request, GET and POST alike", async () => {
    keys.length = 0;
    const report = await runLoadTest({
      url,
      users: 2,
      durationMs: 100,
      requests: requestsFor([]),
      timeoutMs: 500,
      headers: { "x-api-key": "load-key" },
    });
    expect(keys).toHaveLength(report.requests);
    expect(new Set(keys)).toEqual(new Set(["load-key"]));
  });

  it("requests each path under the base URL's path, as a gateway that routes by prefix needs", async () => {
    for (const base of [`${url}/api/`, `${url}/api`]) {
      paths.length = 0;
      const report = await runLoadTest({
        url: base,
        users: 1,
        // Long enough for one user to reach both paths on a busy machine.
        durationMs: 300,
        requests: requestsFor(["/ok", "/predict?x=1"]),
        timeoutMs: 500,
      });
      expect(report.succeeded, base).toBe(report.requests);
      expect(new Set(paths), base).toEqual(new Set(["/api/ok", "/api/predict?x=1"]));
    }
  });
});

describe("a run where a path answered mostly 404", () => {
  const run = (base: string, paths: string[], users = 2) =>
    runLoadTest({
      url: base,
      users,
      // Long enough for every path of the mix to be sent on a busy machine.
      durationMs: 300,
      requests: requestsFor(paths),
      timeoutMs: 500,
    });
  /** `path`'s count in the report: `method path (n of n)`. */
  const all = (report: Awaited<ReturnType<typeof run>>, k: number) => {
    const p = report.paths[k]!;
    return `${p.method} ${p.path} (${p.requests} of ${p.requests})`;
  };

  it("says that the default mix is the GARCH service's and how to name the API's routes", async () => {
    const report = await run(`${url}/gone`, []);
    expect(report.outcomes).toEqual({ "404": report.requests });
    const hint =
      `${report.paths.map((_, k) => all(report, k)).join(", ")} answered 404 Not Found: the requests ` +
      "(GET /health, GET /models/list, POST /predict, POST /predict/custom) are the GARCH " +
      "service's routes, the mix sent when --path is not given; to load-test the prediction API, " +
      "name its routes with --path (e.g. --path /health/ready; a path not of the GARCH service is " +
      "sent as GET, or POSTed with --body's JSON: --path /predict --body '{\"features\":[…]}')";
    expect(report.hint).toBe(hint);
    expect(formatLoadReport(report).endsWith(`\nhint: ${hint}\n`)).toBe(true);
  });

  it("names a lost path that the others' answers hide in the total", async () => {
    // Half the mix answers: the total is never mostly 404, but /gone/x always is.
    const half = await run(url, ["/ok", "/gone/x"], 1);
    expect((half.outcomes["404"] ?? 0) * 2).toBeLessThanOrEqual(half.requests);
    expect(half.hint).toBe(
      `${all(half, 1)} answered 404 Not Found: check that --url is ` +
        "the service's base URL (each --path is requested under its path) and that each --path " +
        "is one of its routes",
    );
  });

  it("says nothing when no path answered mostly 404, or none had a status", async () => {
    expect((await run(url, ["/ok"])).hint).toBeNull();
    const at = (answered: number, notFound: number) => [
      { method: "GET", path: "/x", answered, notFound, notJson: 0 },
    ];
    expect(notFoundHint(at(4, 2), requestsFor(["/x"]))).toBeNull();
    expect(notFoundHint(at(0, 0), requestsFor(["/x"]))).toBeNull();
    expect(notFoundHint(at(3, 2), requestsFor(["/x"]))).toMatch(
      /^GET \/x \(2 of 3\) answered 404 Not Found: check that --url/,
    );
  });
});

describe("a run where a 2xx answer was not the JSON its route promises", () => {
  // A user per path of the mix: user i starts at request i, so each path is requested.
  const run = (paths: string[]) => {
    const requests = requestsFor(paths);
    return runLoadTest({ url, users: requests.length, durationMs: 300, requests, timeoutMs: 5000 });
  };

  it("fails an HTML page or text answered 200, as not-json, and says what may have answered", async () => {
    const report = await run(["/ok", "/page", "/plain"]);
    const [ok, page, plain] = report.paths;
    expect(report.outcomes).toEqual({
      "200": ok!.requests,
      "not-json": page!.requests + plain!.requests,
    });
    expect(report.succeeded).toBe(ok!.requests);
    expect([page!.succeeded, plain!.succeeded]).toEqual([0, 0]);
    const hint =
      `GET /page (${page!.requests} of ${page!.requests}), GET /plain (${plain!.requests} of ${plain!.requests}) ` +
      "answered 2xx with a body that is not the JSON its route promises (outcomes not-json, contract): " +
      "a gateway's default page or a catch-all route may be answering in the service's place; check that " +
      "--url is the service's base URL (each --path is requested under its path) and that each --path is one of its routes";
    expect(report.hint).toBe(hint);
    expect(formatLoadReport(report).endsWith(`\nhint: ${hint}\n`)).toBe(true);
  });

  it("holds the GARCH service's own requests to its contract", async () => {
    // `{}` is JSON, but none of the service's answers.
    const report = await run([]);
    expect(report.outcomes).toEqual({ contract: report.requests });
    expect(report.success_rate).toBe(0);
    expect(report.hint).toMatch(
      /^GET \/health \(\d+ of \d+\), .* answered 2xx with a body that is not/,
    );
  });

  it("gives both hints, one a line, when one path answered 404 and another a page", async () => {
    const report = await run(["/gone/x", "/page"]);
    const lines = formatLoadReport(report).trimEnd().split("\n").slice(-2);
    expect(lines[0]).toMatch(/^hint: GET \/gone\/x \(\d+ of \d+\) answered 404 Not Found: /);
    expect(lines[1]).toMatch(
      /^hint: GET \/page \(\d+ of \d+\) answered 2xx with a body that is not /,
    );
  });

  it("counts an answer cut off mid-body, and one past the answer cap, as failures of their own", async () => {
    const cut = await run(["/cut"]);
    expect(cut.outcomes).toEqual({ "cut-off": cut.requests });
    const huge = await run(["/huge"]);
    expect(huge.outcomes).toEqual({ "too-large": huge.requests });
    expect(huge.hint).toBeNull();
  });

  it("says nothing when every 2xx was JSON", () => {
    const at = (notJson: number) => [
      { method: "GET", path: "/x", answered: 4, notFound: 0, notJson },
    ];
    expect(notJsonHint(at(0))).toBeNull();
    expect(notJsonHint(at(1))).toMatch(/^GET \/x \(1 of 4\) answered 2xx/);
  });
});

describe("loadTestOptions", () => {
  const flags = {
    "--users": "1",
    "--duration": "1",
    "--timeout": "1",
    "--path": [],
    "--min-success": "99",
  };
  const refusal = (raw: Partial<Record<"--url" | "--path" | "--body", unknown>>) => {
    try {
      loadTestOptions({ ...flags, "--url": "http://127.0.0.1:8080", ...raw });
    } catch (error) {
      return (error as Error).message;
    }
    return null;
  };

  it("keeps the base URL's path, normalized", () => {
    const { options } = loadTestOptions({ ...flags, "--url": "HTTP://127.0.0.1:8080/api/" });
    expect(options.url).toBe("http://127.0.0.1:8080/api/");
  });

  it("names the flag and the rule of a bad base URL or path", () => {
    expect(refusal({ "--url": "ftp://h/" })).toBe(
      "loadtest is invalid: --url: must be http or https (got ftp:)",
    );
    expect(refusal({ "--url": "http://127.0.0.1:8080/api?v=1" })).toBe(
      "loadtest is invalid: --url: must not have a query or fragment (?… or #…): routes are appended to its path",
    );
    expect(refusal({ "--path": ["//elsewhere.test/x"] })).toBe(
      "loadtest is invalid: --path[0]: must be a path under --url: one leading /, no spaces",
    );
  });

  it("POSTs --body's JSON to each --path, and names what is wrong with a bad one", () => {
    const body = { features: [0.5, -1.2, 0.3, 1.1, -0.4] };
    const { options } = loadTestOptions({
      ...flags,
      "--url": "http://127.0.0.1:8080",
      "--path": ["/predict"],
      "--body": JSON.stringify(body),
    });
    expect(options.requests).toEqual([{ method: "POST", path: "/predict", body }]);
    expect(refusal({ "--path": ["/predict"], "--body": "{features:" })).toMatch(
      /^loadtest is invalid: --body: must be JSON: /,
    );
    expect(refusal({ "--body": "{}" })).toBe(
      "loadtest is invalid: --body: needs --path: the body is POSTed to each --path given",
    );
  });
});
