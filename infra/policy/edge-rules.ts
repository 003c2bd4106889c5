/**
 * Guardrails of the public edge and of the estate around it: what the public route publishes,
 * who may call the serving pods, who reaches the cluster's API server and how telemetry
 * authenticates.
 */
import {
  EDGE_ENV,
  isPublicPath,
  PUBLIC_PATHS,
  PUBLIC_ROUTE_LABEL,
  type PublicPath,
  type PublicService,
} from "@mlops/contracts";
import {
  flagBreaches,
  get,
  managedClusterProperties,
  type PolicyResource,
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

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

/** Route path matches of one path alone (Ingress and Gateway API spell it the same). */
const EXACT_MATCHES = new Set(["Exact"]);
/** Route path matches of a path and every path below it by whole elements, as `isPublicPath`. */
const PREFIX_MATCHES = new Set(["Prefix", "PathPrefix"]);

/**
 * Whether a route match of `kind` at `path` publishes only paths of `allowed`. An exact match must
 * be at a path the list admits; a prefix match at or below one of the list's `prefix` entries, as
 * a prefix at an `exact` entry would publish what lies below it too (`/health/live` under
 * `/health`). Regular expressions and implementation-specific matches are never within it.
 */
function withinAllowList(path: string, kind: string, allowed: readonly PublicPath[]): boolean {
  if (EXACT_MATCHES.has(kind)) return isPublicPath(path, allowed);
  if (!PREFIX_MATCHES.has(kind)) return false;
  return isPublicPath(
    path,
    allowed.filter((entry) => entry.match === "prefix"),
  );
}

/** An allow-list as the policy's description states it. */
const describeList = (allowed: readonly PublicPath[]) =>
  allowed.map((e) => (e.match === "exact" ? `${e.path} (exactly)` : e.path)).join(", ");

/** The paths a route object publishes, each with its match kind ("/" when a rule matches all). */
function publishedPaths(r: PolicyResource): { path: string; kind: string }[] {
  if (r.type === INGRESS) {
    const rules = (get(r.props, ["spec", "rules"]) ?? []) as unknown[];
    const paths = rules.flatMap((rule) => (get(rule, ["http", "paths"]) ?? []) as unknown[]);
    const fallback =
      get(r.props, ["spec", "defaultBackend"]) === undefined ? [] : [{ path: "/", kind: "Prefix" }];
    return [
      ...paths.map((p) => ({
        path: String(get(p, ["path"]) ?? "/"),
        kind: String(get(p, ["pathType"])),
      })),
      ...fallback,
    ];
  }
  if (r.type === HTTP_ROUTE) {
    const rules = (get(r.props, ["spec", "rules"]) ?? []) as unknown[];
    return rules.flatMap((rule) => {
      // A rule without backends forwards nothing (the HTTP listener's redirect to HTTPS).
      const backends = (get(rule, ["backendRefs"]) ?? []) as unknown[];
      if (backends.length === 0) return [];
      const matches = (get(rule, ["matches"]) ?? []) as unknown[];
      // A rule without matches matches every path (Gateway API HTTPRouteRule).
      if (matches.length === 0) return [{ path: "/", kind: "PathPrefix" }];
      return matches.map((m) => ({
        path: String(get(m, ["path", "value"]) ?? "/"),
        kind: String(get(m, ["path", "type"]) ?? "PathPrefix"),
      }));
    });
  }
  return [];
}

/** The service a route object says it publishes (`PUBLIC_ROUTE_LABEL`); the API's when unsaid. */
function routeService(r: PolicyResource): string {
  const label = get(r.props, ["metadata", "labels", PUBLIC_ROUTE_LABEL]);
  return typeof label === "string" ? label : "api";
}

export const publicRoutesAllowListed: ResourceRule = {
  name: "public-routes-allow-listed",
  description: `A public route publishes only its service's public paths: the prediction API's ${describeList(PUBLIC_PATHS.api)}, or, labelled ${PUBLIC_ROUTE_LABEL}=garch, the GARCH service's ${describeList(PUBLIC_PATHS.garch)}, each matched no wider than its entry. Metrics, docs, the dashboard, models, A/B stats and liveness stay in the cluster.`,
  check: (r) => {
    const paths = publishedPaths(r);
    if (paths.length === 0) return [];
    const service = routeService(r);
    if (!Object.hasOwn(PUBLIC_PATHS, service)) {
      return [
        `${r.name}: ${PUBLIC_ROUTE_LABEL} "${service}" names no public service (${Object.keys(PUBLIC_PATHS).join(", ")})`,
      ];
    }
    const allowed = PUBLIC_PATHS[service as PublicService];
    return paths
      .filter(({ path, kind }) => !withinAllowList(path, kind, allowed))
      .map(
        ({ path, kind }) =>
          `${r.name}: publishes ${kind} ${path}, outside the public paths of ${service} (PUBLIC_PATHS.${service})`,
      );
  },
};

/** The serving variables of a Deployment's first container, when it runs the prediction API. */
function servingEnv(r: PolicyResource): Map<unknown, unknown> | undefined {
  if (r.type !== "kubernetes:apps/v1:Deployment") return undefined;
  const containers = (get(r.props, ["spec", "template", "spec", "containers"]) ?? []) as unknown[];
  const env = new Map<unknown, unknown>(
    ((get(containers[0], ["env"]) ?? []) as unknown[]).map((e) => [
      get(e, ["name"]),
      get(e, ["value"]),
    ]),
  );
  return env.has("MLOPS_MODE") ? env : undefined;
}

export const servingPodsGuarded: ResourceRule = {
  name: "serving-pods-guarded",
  description:
    "Serving pods demand a credential (API keys from Key Vault or Entra tokens), refuse operational paths to proxied callers, and mount their Key Vault secrets (keys, canary tokens) through the Secrets Store CSI driver.",
  check: (r) => {
    const env = servingEnv(r);
    if (env === undefined) return [];
    const breaches: string[] = [];
    const auth = env.get(EDGE_ENV.auth);
    if (auth !== "api-keys" && auth !== "entra") {
      breaches.push(
        `${r.name}: ${EDGE_ENV.auth} is ${String(auth)}; predictions must need api-keys or entra`,
      );
    }
    if (env.get(EDGE_ENV.opsInternalOnly) !== "true") {
      breaches.push(`${r.name}: ${EDGE_ENV.opsInternalOnly} must be "true"`);
    }
    const dir = env.get(EDGE_ENV.secretsDir);
    const pod = get(r.props, ["spec", "template", "spec"]);
    const csiVolumes = ((get(pod, ["volumes"]) ?? []) as unknown[])
      .filter((v) => get(v, ["csi", "driver"]) === "secrets-store.csi.k8s.io")
      .map((v) => get(v, ["name"]));
    const mounted = ((get(pod, ["containers"]) as unknown[] | undefined)?.[0] as unknown) ?? {};
    const mountedAtDir = ((get(mounted, ["volumeMounts"]) ?? []) as unknown[]).some(
      (m) => csiVolumes.includes(get(m, ["name"])) && get(m, ["mountPath"]) === dir,
    );
    if (typeof dir !== "string" || !mountedAtDir) {
      breaches.push(
        `${r.name}: ${EDGE_ENV.secretsDir} must be where a Secrets Store CSI volume mounts the Key Vault secrets`,
      );
    }
    return breaches;
  },
};

/** The rules of this module, by kind. */
export const edgeRules: { resource: readonly ResourceRule[]; stack: readonly StackRule[] } = {
  resource: [
    aksApiServerRestricted,
    appInsightsEntraOnly,
    publicRoutesAllowListed,
    servingPodsGuarded,
  ],
  stack: [],
};
