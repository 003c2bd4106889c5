import { assignmentOf, parseServingConfig } from "@mlops/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, validateObject } from "../test-support/index.js";
import {
  byType,
  k8sObjects,
  objectNamed,
  renderServingStack,
} from "../test-support/serving-stack-fixture.js";
import {
  gatewayWeights,
  splitRules,
  TLS_OPTION_KEYVAULT_URI,
  TLS_OPTION_SERVICE_ACCOUNT,
  validateGatewayRouteArgs,
} from "./gateway-route.js";

const CERT = "https://kv-certs.vault.azure.net/certificates/api-ml";
const ZONE =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/dns/providers/Microsoft.Network/dnszones/ml.example.com";
const EDGE_CLIENT = "00000000-0000-0000-0000-0000000ed9e0";
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

let tlsStack: Registered[];
let plainStack: Registered[];
let sideBySide: Registered[];

beforeAll(async () => {
  const traffic = { rules: [{ host: "api.ml.example.com" }], weight: 10 };
  tlsStack = await renderServingStack("serving", {
    traffic: {
      ...traffic,
      certificateUri: CERT,
      edge: { identityClientId: EDGE_CLIENT, dnsZoneResourceId: ZONE },
    },
  });
  plainStack = await renderServingStack("plain", { namespace: "ml-plain", traffic });
  sideBySide = await renderServingStack("migrating", {
    namespace: "ml-migrating",
    traffic: {
      ...traffic,
      kind: "nginx-canary",
      standby: "gateway",
      certificateUri: CERT,
      edge: { identityClientId: EDGE_CLIENT, dnsZoneResourceId: ZONE },
    },
  });
});

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
const backendWeights = (rule: any) =>
  Object.fromEntries(
    // biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
    rule.backendRefs.map((b: any) => [b.name, b.weight]),
  );

describe("the gateway traffic split (the default) under Pulumi mocks", () => {
  it("creates a Gateway and HTTPRoutes, no Ingress, and validates against every Gateway API bundle AKS installs", () => {
    expect(byType(tlsStack, "kubernetes:networking.k8s.io/v1:Ingress")).toHaveLength(0);
    expect(byType(tlsStack, GATEWAY)).toHaveLength(1);
    expect(
      byType(tlsStack, ROUTE)
        .map((r) => r.inputs.metadata.name)
        .sort(),
    ).toEqual(["serving-ingress", "serving-ingress-https-redirect"]);
    for (const r of [...k8sObjects(tlsStack), ...k8sObjects(plainStack)]) {
      expect(() => validateObject(r.type, r.inputs), `${r.type} ${r.name}`).not.toThrow();
    }
  });

  it("puts the Gateway in its own namespace, lets only the serving namespace attach routes, and admits its proxies to the pods", () => {
    const gateway = byType(tlsStack, GATEWAY)[0].inputs;
    expect(gateway.metadata.namespace).toBe("ml-serving-gateway");
    expect(gateway.spec.gatewayClassName).toBe("approuting-istio");
    for (const listener of gateway.spec.listeners) {
      expect(listener.allowedRoutes).toEqual({
        namespaces: {
          from: "Selector",
          selector: { matchLabels: { "kubernetes.io/metadata.name": "ml-serving" } },
        },
      });
    }
    const allow = objectNamed(
      tlsStack,
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "allow-ingress-controller",
    );
    expect(allow.inputs.spec.ingress[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-serving-gateway" } },
      },
    ]);
  });

  it("terminates TLS on the listener with the Key Vault certificate, read as the edge ServiceAccount", () => {
    const [https, http] = byType(tlsStack, GATEWAY)[0].inputs.spec.listeners;
    expect(https).toMatchObject({
      name: "https-0",
      hostname: "api.ml.example.com",
      port: 443,
      protocol: "HTTPS",
      tls: {
        mode: "Terminate",
        options: {
          [TLS_OPTION_KEYVAULT_URI]: CERT,
          [TLS_OPTION_SERVICE_ACCOUNT]: "serving-ingress-edge",
        },
      },
    });
    expect(http).toMatchObject({ name: "http-0", port: 80, protocol: "HTTP" });
    const sa = objectNamed(tlsStack, "kubernetes:core/v1:ServiceAccount", "serving-ingress-edge");
    expect(sa.inputs.metadata).toMatchObject({
      namespace: "ml-serving-gateway",
      annotations: { "azure.workload.identity/client-id": EDGE_CLIENT },
      labels: { "azure.workload.identity/use": "true" },
    });
  });

  it("serves the split on HTTPS only and redirects HTTP to it", () => {
    const route = objectNamed(tlsStack, ROUTE, "serving-ingress").inputs;
    expect(route.spec.parentRefs.map((p: { sectionName: string }) => p.sectionName)).toEqual([
      "https-0",
    ]);
    const redirect = objectNamed(tlsStack, ROUTE, "serving-ingress-https-redirect").inputs;
    expect(redirect.spec.parentRefs[0].sectionName).toBe("http-0");
    expect(redirect.spec.rules).toEqual([
      {
        filters: [
          { type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } },
        ],
      },
    ]);
  });

  it("weights champion and challenger per request as the stack config says, summing to 100", () => {
    const route = objectNamed(tlsStack, ROUTE, "serving-ingress").inputs;
    const weighted = route.spec.rules.at(-1);
    expect(weighted.matches).toEqual([{ path: { type: "PathPrefix", value: "/" } }]);
    expect(backendWeights(weighted)).toEqual({
      "serving-champion": 90,
      "serving-challenger": 10,
    });
  });

  it("forces an arm with the smoke test's header, the same values as the NGINX canary", () => {
    const route = objectNamed(tlsStack, ROUTE, "serving-ingress").inputs;
    const forced = route.spec.rules.slice(0, 2);
    expect(forced.map((r: { matches: unknown[] }) => r.matches[0])).toEqual([
      {
        path: { type: "PathPrefix", value: "/" },
        headers: [{ type: "Exact", name: "X-Canary", value: "always" }],
      },
      {
        path: { type: "PathPrefix", value: "/" },
        headers: [{ type: "Exact", name: "X-Canary", value: "never" }],
      },
    ]);
    expect(forced.map(backendWeights)).toEqual([
      { "serving-challenger": 1 },
      { "serving-champion": 1 },
    ]);
  });

  it("publishes the host's DNS record through a ClusterExternalDNS on the Azure DNS zone", () => {
    const [dns] = byType(
      tlsStack,
      "kubernetes:approuting.kubernetes.azure.com/v1alpha1:ClusterExternalDNS",
    );
    expect(dns.inputs.spec).toEqual({
      resourceName: "ml-serving-gateway-serving-ingress",
      resourceNamespace: "ml-serving-gateway",
      dnsZoneResourceIDs: [ZONE],
      resourceTypes: ["gateway"],
      identity: { type: "workloadIdentity", serviceAccount: "serving-ingress-edge" },
      filters: { gatewayLabels: "mlops.platform/gateway=serving-ingress" },
    });
  });

  it("without a certificate serves plain HTTP: no TLS listener, no redirect, no edge objects", () => {
    const gateway = byType(plainStack, GATEWAY)[0].inputs;
    expect(gateway.spec.listeners.map((l: { protocol: string }) => l.protocol)).toEqual(["HTTP"]);
    expect(byType(plainStack, ROUTE)).toHaveLength(1);
    expect(plainStack.some((r) => r.type.includes("ClusterExternalDNS"))).toBe(false);
  });
});

describe("what each pod is told about the data plane in front of it", () => {
  type EnvEntry = { name: string; value?: string };
  /** The plain values of a Deployment's container env. */
  const envOf = (stack: Registered[], name: string): Record<string, string> => {
    const deployment = objectNamed(stack, "kubernetes:apps/v1:Deployment", name);
    const env: EnvEntry[] = deployment.inputs.spec.template.spec.containers[0].env;
    return Object.fromEntries(
      env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
    );
  };

  it("renders MLOPS_TRAFFIC_SPLIT from the public split, which parses back as the pod's assignment", () => {
    for (const [stack, prefix, kind] of [
      [plainStack, "plain", "gateway"],
      // During a migration the public kind assigns the arms; the standby has no DNS record.
      [sideBySide, "migrating", "nginx-canary"],
    ] as const) {
      for (const variant of ["champion", "challenger"] as const) {
        const env = envOf(stack, `${prefix}-${variant}`);
        expect(env.MLOPS_TRAFFIC_SPLIT).toBe(kind);
        const config = parseServingConfig(env);
        expect(config).toMatchObject({ mode: "single", variant, trafficSplit: kind });
        expect(assignmentOf(config)).toEqual({
          assignment: `${kind}-weight`,
          challenger_weight: 10,
        });
        validateObject(
          "kubernetes:apps/v1:Deployment",
          objectNamed(stack, "kubernetes:apps/v1:Deployment", `${prefix}-${variant}`).inputs,
        );
      }
    }
  });
});

describe("both data planes side by side (the migration step)", () => {
  it("runs the NGINX pair and a standby Gateway with the same weight and certificate, the Gateway without a DNS record", () => {
    const ingresses = byType(sideBySide, "kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingresses.map((r) => r.inputs.metadata.name).sort()).toEqual([
      "migrating-ingress-canary",
      "migrating-ingress-stable",
    ]);
    const canary = objectNamed(
      sideBySide,
      "kubernetes:networking.k8s.io/v1:Ingress",
      "migrating-ingress-canary",
    );
    expect(canary.inputs.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]).toBe(
      "10",
    );
    const route = objectNamed(sideBySide, ROUTE, "migrating-ingress").inputs;
    expect(backendWeights(route.spec.rules.at(-1))).toEqual({
      "migrating-champion": 90,
      "migrating-challenger": 10,
    });
    expect(byType(sideBySide, GATEWAY)[0].inputs.spec.listeners[0].tls.options).toMatchObject({
      [TLS_OPTION_KEYVAULT_URI]: CERT,
    });
    expect(sideBySide.some((r) => r.type.includes("ClusterExternalDNS"))).toBe(false);
    for (const r of k8sObjects(sideBySide)) validateObject(r.type, r.inputs);
  });

  it("admits client traffic from both proxies' namespaces", () => {
    const allow = objectNamed(
      sideBySide,
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "allow-ingress-controller",
    );
    expect(
      allow.inputs.spec.ingress[0].from.map(
        (f: { namespaceSelector: { matchLabels: Record<string, string> } }) =>
          f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
      ),
    ).toEqual(["app-routing-system", "ml-migrating-gateway"]);
  });
});

describe("the Gateway API validators", () => {
  it("reject a string weight, an unknown field and an out-of-range listener port in every bundle", () => {
    const route = objectNamed(tlsStack, ROUTE, "serving-ingress");
    const rules = structuredClone(route.inputs.spec.rules);
    rules[2].backendRefs[0].weight = "90";
    expect(() =>
      validateObject(route.type, { ...route.inputs, spec: { ...route.inputs.spec, rules } }),
    ).toThrow(/Gateway API v1\.3\.0.*weight must be integer.*Gateway API v1\.5\.1/);
    expect(() =>
      validateObject(route.type, {
        ...route.inputs,
        spec: { ...route.inputs.spec, sessionPersistance: {} },
      }),
    ).toThrow(/must NOT have additional properties/);
    const gateway = byType(tlsStack, GATEWAY)[0];
    const listeners = structuredClone(gateway.inputs.spec.listeners);
    listeners[1].port = 70_000;
    expect(() =>
      validateObject(gateway.type, {
        ...gateway.inputs,
        spec: { ...gateway.inputs.spec, listeners },
      }),
    ).toThrow(/port must be <= 65535/);
  });
});

describe("gateway arguments", () => {
  it("turns the challenger weight into the two backend weights, 100/0 once concluded", () => {
    expect(gatewayWeights(10)).toEqual({ champion: 90, challenger: 10 });
    expect(gatewayWeights(0)).toEqual({ champion: 100, challenger: 0 });
    expect(() => gatewayWeights(12.5)).toThrow(
      "challengerWeight: 12.5 must be an integer in 0-100",
    );
  });

  it("names the field and the rule", () => {
    const args = {
      provider: undefined as never,
      gatewayNamespace: "ml-serving-gateway",
      routeNamespace: "ml-serving",
      routeNamespaceName: "ml-serving",
      rules: [{ host: "api.ml.example.com" }],
      champion: { name: "c", port: 80 },
      challenger: { name: "d", port: 80 },
      challengerWeight: 10,
    };
    expect(() => validateGatewayRouteArgs("split", args)).not.toThrow();
    expect(() => validateGatewayRouteArgs("split", { ...args, header: "X Arm" })).toThrow(
      'header: "X Arm" must be an HTTP header name',
    );
    expect(() =>
      validateGatewayRouteArgs("split", { ...args, gatewayNamespace: "Gateway" }),
    ).toThrow('gatewayNamespace: "Gateway" must be a DNS-1123 label');
    expect(() =>
      validateGatewayRouteArgs("split", { ...args, champion: { name: "c", port: 0 } }),
    ).toThrow("champion.port: 0 must be an integer in 1-65535");
  });
});

describe("splitRules", () => {
  it("matches an exact rule's path alone and a prefix rule's below it, one rule set per match", () => {
    const rules = splitRules({
      provider: undefined as never,
      gatewayNamespace: "garch-gateway",
      routeNamespace: "garch",
      routeNamespaceName: "garch",
      rules: [
        { host: "garch.ml.example.com", path: "/health", exact: true },
        { host: "volatility.ml.example.com", path: "/health", exact: true },
        { host: "garch.ml.example.com", path: "/predict" },
      ],
      champion: { name: "garch", port: 80 },
      challenger: { name: "garch", port: 80 },
      challengerWeight: 0,
    });
    // Per match: the two forced arms, then the weighted rule.
    expect(rules.map((r) => (r.matches as { path: unknown }[])[0]!.path)).toEqual([
      ...Array(3).fill({ type: "Exact", value: "/health" }),
      ...Array(3).fill({ type: "PathPrefix", value: "/predict" }),
    ]);
  });
});
