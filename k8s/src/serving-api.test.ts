/**
 * The health routes and the stop deadline k8s renders come from contracts, where the serving API
 * takes them too (`HEALTH_PATHS`, `SHUTDOWN_GRACE_MS`). What is left to check is that the pods
 * give the server its whole graceful stop: the kubelet must not SIGKILL before the server's own
 * deadline has passed.
 */
import { HEALTH_PATHS, SHUTDOWN_GRACE_MS } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_DRAIN_SECONDS,
  DEFAULT_HEALTH_PATHS,
  terminationGraceSeconds,
} from "./model-deployment.js";

describe("k8s agrees with the serving API", () => {
  it("probes the routes the server registers", () => {
    expect(DEFAULT_HEALTH_PATHS).toEqual(HEALTH_PATHS);
  });

  it("drains for as long as the server's graceful stop may take", () => {
    expect(DEFAULT_DRAIN_SECONDS * 1000).toBe(SHUTDOWN_GRACE_MS);
    expect(terminationGraceSeconds(DEFAULT_DRAIN_SECONDS) * 1000).toBeGreaterThan(
      SHUTDOWN_GRACE_MS,
    );
  });
});
