import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../test-support/cli.js";

/** A loopback server: `/ok` and `/api/ok` answer 200 with JSON, anything else 503. */
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) =>
    res
      .writeHead(["/ok", "/api/ok"].includes(req.url ?? "") ? 200 : 503, {
        "content-type": "application/json",
      })
      .end("{}"),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** The load test opens no store: the in-memory path only satisfies the runner. */
const run = (argv: string[]) => runCli(":memory:", argv);

/** `mlops loadtest` against the server with `users` for `seconds`, requesting `paths`. */
const load = (users: number, seconds: number, paths: string[], ...extra: string[]) =>
  run([
    "loadtest",
    ...["--url", url, "--users", String(users), "--duration", String(seconds)],
    ...paths.flatMap((p) => ["--path", p]),
    ...extra,
  ]);

describe("mlops loadtest", () => {
  it("reports success rate, latency percentiles and throughput as JSON", async () => {
    const out = await load(3, 0.5, ["/ok"], "--json");
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report).toMatchObject({ users: 3, success_rate: 1, failed: 0 });
    expect(report.requests).toBeGreaterThan(0);
    expect(Object.keys(report.latency_ms)).toEqual(["mean", "p50", "p95", "p99", "max"]);
    expect(report.requests_per_second).toBeGreaterThan(0);
  });

  it("requests --path under the path of --url", async () => {
    const out = await run([
      ...["loadtest", "--url", `${url}/api/`, "--users", "1", "--duration", "0.2"],
      ...["--path", "/ok", "--json"],
    ]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ url: `${url}/api/`, success_rate: 1 });
  });

  it("prints a table, and fails when the success rate is below --min-success", async () => {
    const out = await load(2, 0.3, ["/ok", "/down"]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/success rate\s+\d+\.\d\d %/);
    expect(out.stdout).toMatch(/GET \/down/);
    expect(out.stderr).toMatch(/^error: success rate \d+\.\d\d % is below --min-success 99\.00 %/);
    const lenient = await load(2, 0.3, ["/ok", "/down"], "--min-success", "10");
    expect(lenient.code).toBe(0);
  });

  it("names the flag and its rule on bad input, before sending anything", async () => {
    const users = await run(["loadtest", "--url", url, "--users", "0"]);
    expect(users.code).toBe(1);
    expect(users.stderr).toMatch(/--users: Too small/);
    const scheme = await run(["loadtest", "--url", "ftp://example"]);
    expect(scheme.stderr).toMatch(/--url: must be http or https \(got ftp:\)/);
    const query = await run(["loadtest", "--url", `${url}/?v=1`]);
    expect(query.stderr).toMatch(/--url: must not have a query or fragment/);
    // A path of one leading slash: //host/x would send the credential to another host.
    for (const bad of ["predict", "//elsewhere.test/x"]) {
      const path = await run(["loadtest", "--url", url, "--path", bad]);
      expect(path.stderr).toMatch(/--path\[0\]: must be a path under --url: one leading \//);
    }
    const credentials = await run(["loadtest", "--url", "http://user:pw@127.0.0.1:9"]);
    expect(credentials.stderr).toMatch(/--url: must not hold a user name or password/);
    expect(credentials.stderr).not.toMatch(/pw/);
    // Numbers are decimal digits: 0x10 is not 16 seconds.
    for (const [flag, value] of [
      ["--duration", "0x10"],
      ["--timeout", "abc"],
      ["--users", "2.5"],
    ]) {
      const bad = await run(["loadtest", "--url", url, flag!, value!]);
      expect(bad.code, `${flag} ${value}`).toBe(1);
      expect(bad.stderr).toMatch(
        new RegExp(`${flag}: must be a (whole )?number in decimal digits`),
      );
    }
  });
});
