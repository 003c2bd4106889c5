import { beforeAll, describe, expect, it } from "vitest";
import { one, runProgram } from "./testing/program.js";
import { stackFileConfig } from "./testing/stack-config.js";

/**
 * The prod program under mocks, read for the edge and the guardrails: who reaches the cluster's
 * API server, how telemetry authenticates, what protects the stateful resources and the budget.
 */
beforeAll(async () => {
  await runProgram("prod", stackFileConfig());
}, 60_000);

describe("the prod cluster's API server", () => {
  it("answers only the ranges of the stack config, with local accounts off", () => {
    const aks = one("azure-native:containerservice:ManagedCluster", "aks-cluster").props;
    expect(aks.apiServerAccessProfile).toEqual({
      enablePrivateCluster: false,
      authorizedIPRanges: ["203.0.113.0/28", "198.51.100.17/32"],
    });
    expect(aks.disableLocalAccounts).toBe(true);
  });
});
