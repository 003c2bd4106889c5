/**
 * The health routes and stop deadline k8s assumes, checked against the
 * serving API's own source. Contracts does not export them (yet), and the
 * serving package is not a dependency of this one, so the route and server
 * modules are read as text: if a route moves or the grace deadline changes
 * there, the probes or the pods' termination grace here are wrong, and this
 * fails.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_DRAIN_SECONDS,
  DEFAULT_HEALTH_PATHS,
  terminationGraceSeconds,
} from "./model-deployment.js";

const serving = new URL("../../services/serving/src/", import.meta.url);
const source = (path: string) => readFileSync(new URL(path, serving), "utf8");

describe("k8s agrees with the serving API", () => {
  it("probes routes the server registers", () => {
    const routes = [...source("routes/health.ts").matchAll(/app\.get\(\s*"([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(routes).toContain(DEFAULT_HEALTH_PATHS.live);
    expect(routes).toContain(DEFAULT_HEALTH_PATHS.ready);
  });

  it("drains for as long as the server's graceful stop may take", () => {
    const grace = source("server.ts").match(/const GRACE_MS = ([\d_]+);/);
    expect(grace, "server.ts no longer declares GRACE_MS").not.toBeNull();
    const graceMs = Number(grace?.[1].replaceAll("_", ""));
    expect(DEFAULT_DRAIN_SECONDS * 1000).toBe(graceMs);
    // The kubelet must not SIGKILL before the server's own deadline has passed.
    expect(terminationGraceSeconds(DEFAULT_DRAIN_SECONDS) * 1000).toBeGreaterThan(graceMs);
  });
});
