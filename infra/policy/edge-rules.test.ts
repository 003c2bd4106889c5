import { describe, expect, it } from "vitest";
import {
  aksApiServerRestricted,
  appInsightsEntraOnly,
  publicRoutesAllowListed,
  servingPodsGuarded,
} from "./edge-rules.js";
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

describe("public-routes-allow-listed", () => {
  const ingress = (paths: { path?: string; pathType: string }[], extra: object = {}) =>
    resource("kubernetes:networking.k8s.io/v1:Ingress", {
      spec: { rules: [{ host: "predict.example.com", http: { paths } }], ...extra },
    });
  /** An HTTPRoute whose rules forward to a Service. */
  const backendRefs = [{ kind: "Service", name: "serving-champion", port: 80 }];
  const route = (rules: object[]) =>
    resource("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", {
      spec: { rules: rules.map((rule) => ({ backendRefs, ...rule })) },
    });

  it("passes routes that publish the public prefixes only", () => {
    expect(
      publicRoutesAllowListed.check(
        ingress([
          { path: "/predict", pathType: "Prefix" },
          { path: "/health/ready", pathType: "Exact" },
        ]),
      ),
    ).toEqual([]);
    expect(
      publicRoutesAllowListed.check(
        route([
          { matches: [{ path: { type: "PathPrefix", value: "/garch/forecast" } }] },
          {
            matches: [
              {
                path: { type: "PathPrefix", value: "/predict" },
                headers: [{ name: "X-Canary", value: "always" }],
              },
            ],
          },
        ]),
      ),
    ).toEqual([]);
  });

  it("fails the whole site, an operational path, a regex or implementation-specific match, and a catch-all rule", () => {
    expect(publicRoutesAllowListed.check(ingress([{ path: "/", pathType: "Prefix" }]))).toEqual([
      "r: publishes Prefix /, outside the public paths of api (PUBLIC_PATHS.api)",
    ]);
    expect(
      publicRoutesAllowListed.check(ingress([{ path: "/metrics", pathType: "Prefix" }])),
    ).toHaveLength(1);
    expect(
      publicRoutesAllowListed.check(
        ingress([{ path: "/predict", pathType: "ImplementationSpecific" }]),
      ),
    ).toHaveLength(1);
    expect(
      publicRoutesAllowListed.check(
        ingress([{ path: "/predict", pathType: "Prefix" }], { defaultBackend: { service: {} } }),
      ),
    ).toEqual(["r: publishes Prefix /, outside the public paths of api (PUBLIC_PATHS.api)"]);
    expect(
      publicRoutesAllowListed.check(
        route([{ matches: [{ path: { type: "RegularExpression", value: "/predict.*" } }] }]),
      ),
    ).toHaveLength(1);
    expect(publicRoutesAllowListed.check(route([{}]))).toEqual([
      "r: publishes PathPrefix /, outside the public paths of api (PUBLIC_PATHS.api)",
    ]);
  });

  /** `r` labelled as the route of `service`'s public paths. */
  const labelled = (r: PolicyResource, service: string): PolicyResource => ({
    ...r,
    props: { ...r.props, metadata: { labels: { "mlops.platform/public-paths": service } } },
  });
  /** The GARCH service's route objects. */
  const garchIngress = (paths: { path: string; pathType: string }[]) =>
    labelled(ingress(paths), "garch");
  /** `type value` per match, e.g. "Exact /health". */
  const garchRoute = (matches: string[]) =>
    labelled(
      route(
        matches.map((match) => {
          const [type, value] = match.split(" ");
          return { matches: [{ path: { type, value } }] };
        }),
      ),
      "garch",
    );

  it("passes the GARCH service's route publishing its contract's public paths, /health exactly", () => {
    expect(
      publicRoutesAllowListed.check(
        garchRoute(["Exact /health", "PathPrefix /models/list", "PathPrefix /predict"]),
      ),
    ).toEqual([]);
    expect(
      publicRoutesAllowListed.check(
        garchIngress([
          { path: "/predict", pathType: "Prefix" },
          { path: "/predict/custom", pathType: "Exact" },
          { path: "/health", pathType: "Exact" },
        ]),
      ),
    ).toEqual([]);
  });

  it("fails the GARCH route publishing /health as a prefix: the probes' /health/live and /health/ready with it", () => {
    expect(
      publicRoutesAllowListed.check(garchRoute(["PathPrefix /health", "PathPrefix /predict"])),
    ).toEqual([
      "r: publishes PathPrefix /health, outside the public paths of garch (PUBLIC_PATHS.garch)",
    ]);
    expect(
      publicRoutesAllowListed.check(garchIngress([{ path: "/health", pathType: "Prefix" }])),
    ).toEqual([
      "r: publishes Prefix /health, outside the public paths of garch (PUBLIC_PATHS.garch)",
    ]);
    // Exactly a probe's path is no better.
    expect(publicRoutesAllowListed.check(garchRoute(["Exact /health/live"]))).toEqual([
      "r: publishes Exact /health/live, outside the public paths of garch (PUBLIC_PATHS.garch)",
    ]);
  });

  it("fails the GARCH route publishing more than its contract, and the API's publishing the GARCH paths", () => {
    expect(
      publicRoutesAllowListed.check(
        garchRoute(["PathPrefix /predict", "PathPrefix /metrics", "PathPrefix /"]),
      ),
    ).toEqual([
      "r: publishes PathPrefix /metrics, outside the public paths of garch (PUBLIC_PATHS.garch)",
      "r: publishes PathPrefix /, outside the public paths of garch (PUBLIC_PATHS.garch)",
    ]);
    expect(
      publicRoutesAllowListed.check(
        garchIngress([{ path: "/garch/forecast", pathType: "Prefix" }]),
      ),
    ).toHaveLength(1);
    // Unlabelled, a route is the prediction API's: /health and /models/list are not its public paths.
    expect(
      publicRoutesAllowListed.check(
        ingress([
          { path: "/health", pathType: "Exact" },
          { path: "/models/list", pathType: "Prefix" },
        ]),
      ),
    ).toEqual([
      "r: publishes Exact /health, outside the public paths of api (PUBLIC_PATHS.api)",
      "r: publishes Prefix /models/list, outside the public paths of api (PUBLIC_PATHS.api)",
    ]);
    expect(
      publicRoutesAllowListed.check(
        labelled(ingress([{ path: "/predict", pathType: "Prefix" }]), "everything"),
      ),
    ).toEqual(['r: mlops.platform/public-paths "everything" names no public service (api, garch)']);
  });

  it("passes a catch-all rule that forwards nothing: the HTTP listener's redirect to HTTPS", () => {
    const redirect = {
      backendRefs: undefined,
      filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
    };
    expect(publicRoutesAllowListed.check(route([redirect]))).toEqual([]);
  });
});

describe("serving-pods-guarded", () => {
  const deployment = (env: Record<string, string>, mounted = true) =>
    resource("kubernetes:apps/v1:Deployment", {
      spec: {
        template: {
          spec: {
            containers: [
              {
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                volumeMounts: mounted ? [{ name: "kv", mountPath: "/mnt/secrets-store" }] : [],
              },
            ],
            volumes: [{ name: "kv", csi: { driver: "secrets-store.csi.k8s.io" } }],
          },
        },
      },
    });
  const guarded = {
    MLOPS_MODE: "single",
    MLOPS_AUTH: "api-keys",
    MLOPS_OPS_INTERNAL_ONLY: "true",
    MLOPS_SECRETS_DIR: "/mnt/secrets-store",
  };

  it("passes serving pods that need a credential, hide ops paths and mount their Key Vault secrets", () => {
    expect(servingPodsGuarded.check(deployment(guarded))).toEqual([]);
    expect(servingPodsGuarded.check(deployment({ ...guarded, MLOPS_AUTH: "entra" }))).toEqual([]);
    // Other Deployments are not serving pods.
    expect(servingPodsGuarded.check(deployment({ OTHER: "x" }, false))).toEqual([]);
  });

  it("fails an open API, ops paths open to proxies, and secrets not mounted where they are read", () => {
    expect(servingPodsGuarded.check(deployment({ ...guarded, MLOPS_AUTH: "none" }))).toEqual([
      "r: MLOPS_AUTH is none; predictions must need api-keys or entra",
    ]);
    expect(
      servingPodsGuarded.check(deployment({ ...guarded, MLOPS_OPS_INTERNAL_ONLY: "false" })),
    ).toEqual(['r: MLOPS_OPS_INTERNAL_ONLY must be "true"']);
    expect(servingPodsGuarded.check(deployment(guarded, false))).toEqual([
      "r: MLOPS_SECRETS_DIR must be where a Secrets Store CSI volume mounts the Key Vault secrets",
    ]);
  });
});
