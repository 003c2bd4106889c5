import { describe, expect, it } from "vitest";
import { aksApiServerRestricted, appInsightsEntraOnly } from "./edge-rules.js";
import type { PolicyResource } from "./rule-kit.js";

/** One resource named `r`. */
const resource = (type: string, props: Record<string, unknown>): PolicyResource => ({
  type,
  name: "r",
  props,
});

const CLUSTER = "azure-native:containerservice:ManagedCluster";

describe("aks-api-server-restricted", () => {
  const check = (props: Record<string, unknown>) =>
    aksApiServerRestricted.check(resource(CLUSTER, props));

  it("passes a private cluster, and a public one limited to authorized ranges", () => {
    expect(check({ apiServerAccessProfile: { enablePrivateCluster: true } })).toEqual([]);
    expect(check({ apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/28"] } })).toEqual(
      [],
    );
  });

  it("fails an API server open to the internet, or to every address through a /0 range", () => {
    expect(check({})).toEqual([
      "r: apiServerAccessProfile must make the cluster private or list authorizedIPRanges (the API server is open to the internet)",
    ]);
    expect(check({ apiServerAccessProfile: { authorizedIPRanges: [] } })).toHaveLength(1);
    expect(
      check({ apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/28", "0.0.0.0/0"] } }),
    ).toEqual(["r: authorizedIPRanges 0.0.0.0/0 open the API server to every address"]);
  });

  it("reads a generic resource carrying a ManagedCluster body like the typed cluster", () => {
    const generic = (properties: Record<string, unknown>) =>
      aksApiServerRestricted.check(
        resource("azure-native:resources:Resource", {
          resourceProviderNamespace: "Microsoft.ContainerService",
          resourceType: "managedClusters",
          properties,
        }),
      );
    expect(generic({})).toHaveLength(1);
    expect(
      generic({ apiServerAccessProfile: { authorizedIPRanges: ["198.51.100.17/32"] } }),
    ).toEqual([]);
  });

  it("ignores resources that are not clusters", () => {
    expect(aksApiServerRestricted.check(resource("azure-native:keyvault:Vault", {}))).toEqual([]);
  });
});

describe("app-insights-entra-only", () => {
  const COMPONENT = "azure-native:applicationinsights:Component";

  it("passes a component with local auth off", () => {
    expect(appInsightsEntraOnly.check(resource(COMPONENT, { disableLocalAuth: true }))).toEqual([]);
  });

  it("fails a component that still takes the instrumentation key", () => {
    expect(appInsightsEntraOnly.check(resource(COMPONENT, {}))).toEqual([
      "r: disableLocalAuth must be true (with local auth on, anyone holding the connection string can write telemetry)",
    ]);
  });
});
