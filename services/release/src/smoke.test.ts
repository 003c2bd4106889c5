import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HEALTH_PATHS } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FEATURES, runSmoke } from "./smoke.js";

/**
 * A loopback gateway that serves the API's probes under `/api` only (404 anywhere else), and
 * records the path of every request.
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
    const body = answers[req.url ?? ""];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: "not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

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
