import { beforeAll, describe, expect, it } from "vitest";
import { captured } from "./testing/mocks.js";
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

describe("telemetry with Entra ID", () => {
  it("keeps Application Insights from accepting the instrumentation key alone", () => {
    const component = one("azure-native:applicationinsights:Component", "telemetry-appinsights");
    expect(component.props.disableLocalAuth).toBe(true);
  });

  it("lets the serving identity, and only it, publish to the component; the pods wait for that", () => {
    const publishers = captured.filter(
      (r) =>
        r.type === "azure-native:authorization:RoleAssignment" &&
        String(r.props.roleDefinitionId).endsWith("/3913510d-42f4-4e42-8a64-420c390055eb"),
    );
    expect(publishers.map((r) => [r.name, r.props.principalId, r.props.principalType])).toEqual([
      ["telemetry-publisher-serving", "identity-serving-principal-id", "ServicePrincipal"],
    ]);
    expect(String(publishers[0].props.scope)).toMatch(/\/Component\/telemetry-appinsights$/);
    // Waiting on the stack component waits on everything in it, the Deployments included.
    expect(one("mlops:k8s:ServingStack", "serving").dependencies).toContain(
      "azure-native:authorization:RoleAssignment::telemetry-publisher-serving",
    );
  });
});
