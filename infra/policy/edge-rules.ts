/**
 * Guardrails of the public edge and of the estate around it: who reaches the cluster's API server
 * and how telemetry authenticates.
 */
import {
  flagBreaches,
  get,
  managedClusterProperties,
  type ResourceRule,
  type StackRule,
} from "./rule-kit.js";

export const aksApiServerRestricted: ResourceRule = {
  name: "aks-api-server-restricted",
  description:
    "The AKS API server is private, or public only to authorized IP ranges, none of them /0.",
  check: (r) => {
    const cluster = managedClusterProperties(r);
    if (cluster === undefined) return [];
    const access = get(cluster, ["apiServerAccessProfile"]);
    if (get(access, ["enablePrivateCluster"]) === true) return [];
    const ranges = get(access, ["authorizedIPRanges"]);
    if (!Array.isArray(ranges) || ranges.length === 0) {
      return [
        `${r.name}: apiServerAccessProfile must make the cluster private or list authorizedIPRanges (the API server is open to the internet)`,
      ];
    }
    // In the first preview the runners' NAT address is not known yet: reading it makes CrossGuard
    // report this rule as advisory for that run, and enforce it from the next one on.
    const open = ranges.filter((range) => typeof range === "string" && range.endsWith("/0"));
    return open.length === 0
      ? []
      : [`${r.name}: authorizedIPRanges ${open.join(", ")} open the API server to every address`];
  },
};

export const appInsightsEntraOnly: ResourceRule = {
  name: "app-insights-entra-only",
  description:
    "Application Insights accepts telemetry only with an Entra token, so its connection string grants nothing.",
  check: (r) =>
    r.type !== "azure-native:applicationinsights:Component"
      ? []
      : flagBreaches(r.name, r.props, [
          {
            path: ["disableLocalAuth"],
            value: true,
            why: "with local auth on, anyone holding the connection string can write telemetry",
          },
        ]),
};

/** The rules of this module, by kind. */
export const edgeRules: { resource: readonly ResourceRule[]; stack: readonly StackRule[] } = {
  resource: [aksApiServerRestricted, appInsightsEntraOnly],
  stack: [],
};
