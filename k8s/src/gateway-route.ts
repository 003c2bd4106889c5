/**
 * The champion/challenger split on the Kubernetes Gateway API, as the AKS
 * application routing add-on implements it (GatewayClass `approuting-istio`,
 * AKS docs "app-routing-gateway-api"): a Gateway in its own namespace and an
 * HTTPRoute beside the Services with weighted `backendRefs`, plus header
 * rules that force an arm. TLS and DNS come from the add-on's operator
 * (AKS docs "app-routing-gateway-api-dns-tls"): the listener's TLS options
 * name a Key Vault certificate and a ServiceAccount federated to an identity
 * that may read it, and a ClusterExternalDNS publishes the host's A record.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertDns1123Label, type ServiceAccountRef } from "./names.js";
import {
  assertToken,
  assertWeight,
  type BackendService,
  DEFAULT_FORCE_HEADER,
  FORCE_HEADER_VALUES,
  hostsOf,
  type IngressRule,
  pathOf,
  validateBackends,
  validateRules,
} from "./routes.js";
import { validateFor } from "./validation.js";

/** GatewayClass of the application routing Gateway API implementation. */
export const APP_ROUTING_GATEWAY_CLASS = "approuting-istio";

/** Listener TLS option: the unversioned Key Vault certificate URI. */
export const TLS_OPTION_KEYVAULT_URI = "kubernetes.azure.com/tls-cert-keyvault-uri";
/** Listener TLS option: the ServiceAccount (in the Gateway's namespace) that reads it. */
export const TLS_OPTION_SERVICE_ACCOUNT = "kubernetes.azure.com/tls-cert-service-account";

/** Gateway API group and version of the objects created here (standard channel). */
const GATEWAY_API = "gateway.networking.k8s.io/v1";

/** HTTPS for a Gateway's hosts, and their DNS record, through the app routing operator. */
export interface GatewayEdge {
  /**
   * Client id of the identity federated to {@link edgeServiceAccount}: Key
   * Vault Secrets User on the certificate's vault and DNS Zone Contributor on
   * the zone.
   */
  readonly identityClientId: pulumi.Input<string>;
  /**
   * Unversioned Key Vault certificate URI
   * (`https://<vault>.vault.azure.net/certificates/<name>`), so rotations are
   * picked up. Absent: plain HTTP (a dev stack that says `tls: off`).
   */
  readonly certificateUri?: pulumi.Input<string>;
  /**
   * Azure DNS zone the hosts' A records go to (resource id). Absent: no
   * record (a standby Gateway, reached by its IP until DNS is cut over).
   */
  readonly dnsZoneResourceId?: pulumi.Input<string>;
}

/** Arguments of {@link GatewayRoute}. */
export interface GatewayRouteArgs {
  /** The Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
  /** Namespace to create for the Gateway and its managed proxy pods: a DNS-1123 label. */
  readonly gatewayNamespace: string;
  /** Namespace of the HTTPRoute and both Services (from the ServingNamespace output). */
  readonly routeNamespace: pulumi.Input<string>;
  /** Its name as plain text, for the listeners' `allowedRoutes` selector. */
  readonly routeNamespaceName: string;
  /** Hosts and paths of the API. */
  readonly rules: readonly IngressRule[];
  /** The champion's Service. */
  readonly champion: BackendService;
  /** The challenger's Service. */
  readonly challenger: BackendService;
  /** Percent of requests (integer 0-100) the challenger gets; from stack config. */
  readonly challengerWeight: number;
  /** Header forcing an arm (`always` / `never`). @default DEFAULT_FORCE_HEADER */
  readonly header?: string;
  /** GatewayClass. @default APP_ROUTING_GATEWAY_CLASS */
  readonly gatewayClassName?: string;
  /** TLS and DNS; absent: an HTTP-only Gateway and no DNS record. */
  readonly edge?: GatewayEdge;
  /** Labels of the HTTPRoute that forwards (e.g. `PUBLIC_ROUTE_LABEL`, which the policy pack reads). @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The ServiceAccount the operator's TLS sync and external-dns run as, in the Gateway's namespace. */
export function edgeServiceAccount(routeName: string, gatewayNamespace: string): ServiceAccountRef {
  return { namespace: gatewayNamespace, name: `${routeName}-edge` };
}

/** The two arms' weights for a challenger share: what the HTTPRoute's default rule carries. */
export function gatewayWeights(challengerWeight: number): { champion: number; challenger: number } {
  assertWeight("challengerWeight", challengerWeight);
  return { champion: 100 - challengerWeight, challenger: challengerWeight };
}

/** Throws, naming the field and the rule, unless `args` describe a valid Gateway split. */
export function validateGatewayRouteArgs(name: string, args: GatewayRouteArgs): void {
  assertDns1123Label("name", `${name}-https-redirect`);
  assertDns1123Label("gatewayNamespace", args.gatewayNamespace);
  assertDns1123Label("routeNamespaceName", args.routeNamespaceName);
  gatewayWeights(args.challengerWeight);
  validateRules(args.rules);
  validateBackends({ champion: args.champion, challenger: args.challenger });
  assertToken("header", args.header ?? DEFAULT_FORCE_HEADER, "an HTTP header name");
  if (args.gatewayClassName !== undefined) {
    assertDns1123Label("gatewayClassName", args.gatewayClassName);
  }
  // Gateway API allows 64 listeners and 16 route rules; three rules per path, two listeners per host.
  if (args.rules.length > 5) throw new Error("rules: at most 5 host/path pairs (16 route rules)");
}

/** Listener names per host: `https-<i>` and `http-<i>`, in host order. */
const listenerName = (protocol: "http" | "https", index: number) => `${protocol}-${index}`;

/** The Gateway's listeners: HTTPS (with the Key Vault TLS options) and HTTP per host. */
export function gatewayListeners(
  args: GatewayRouteArgs,
  tlsServiceAccount: string,
): pulumi.Input<Record<string, unknown>>[] {
  const allowedRoutes = {
    namespaces: {
      from: "Selector",
      selector: { matchLabels: { "kubernetes.io/metadata.name": args.routeNamespaceName } },
    },
  };
  const certificateUri = args.edge?.certificateUri;
  return hostsOf(args.rules).flatMap((hostname, i) => [
    ...(certificateUri === undefined
      ? []
      : [
          {
            name: listenerName("https", i),
            hostname,
            port: 443,
            protocol: "HTTPS",
            tls: {
              mode: "Terminate",
              options: {
                [TLS_OPTION_KEYVAULT_URI]: certificateUri,
                [TLS_OPTION_SERVICE_ACCOUNT]: tlsServiceAccount,
              },
            },
            allowedRoutes,
          },
        ]),
    { name: listenerName("http", i), hostname, port: 80, protocol: "HTTP", allowedRoutes },
  ]);
}

/**
 * The split's rules, per path (`PathPrefix`, or `Exact` for an `exact` rule: HTTPPathMatch
 * types of Core support in the pinned Gateway API CRDs): the forcing header's two values pin an
 * arm (Gateway API gives a rule with more header matches precedence over one with fewer on the
 * same path), everything else is weighted per request.
 */
export function splitRules(args: GatewayRouteArgs): Record<string, unknown>[] {
  const header = args.header ?? DEFAULT_FORCE_HEADER;
  const weights = gatewayWeights(args.challengerWeight);
  const ref = (backend: BackendService, weight: number) => ({
    group: "",
    kind: "Service",
    name: backend.name,
    port: backend.port,
    weight,
  });
  // The HTTPRoute lists every host, so a path matched the same way on two hosts is one rule set.
  const matches = new Map(
    args.rules.map((rule) => {
      const path = { type: rule.exact === true ? "Exact" : "PathPrefix", value: pathOf(rule) };
      return [`${path.type} ${path.value}`, path] as const;
    }),
  );
  return [...matches.values()].flatMap((path) => {
    const forced = (arm: "champion" | "challenger") => ({
      matches: [
        { path, headers: [{ type: "Exact", name: header, value: FORCE_HEADER_VALUES[arm] }] },
      ],
      backendRefs: [ref(args[arm], 1)],
    });
    return [
      forced("challenger"),
      forced("champion"),
      {
        matches: [{ path }],
        backendRefs: [
          ref(args.champion, weights.champion),
          ref(args.challenger, weights.challenger),
        ],
      },
    ];
  });
}

/**
 * Champion/challenger split on the Gateway API: the Gateway (own namespace,
 * managed proxies), the HTTPRoute with the weights the pipeline moves, and
 * with TLS an HTTP→HTTPS redirect route, the edge ServiceAccount and the
 * ClusterExternalDNS.
 */
export class GatewayRoute extends pulumi.ComponentResource {
  /** Name of the Gateway. */
  public readonly gatewayName: pulumi.Output<string>;
  /** Name of the HTTPRoute whose weights the pipeline moves. */
  public readonly routeName: pulumi.Output<string>;

  constructor(name: string, args: GatewayRouteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:GatewayRoute", name, {}, opts);
    validateFor(this, () => validateGatewayRouteArgs(name, args));
    const child = { parent: this, provider: args.provider };
    const hosts = hostsOf(args.rules);
    const edge = args.edge;

    // The managed proxy pods run in the Gateway's namespace; AKS shapes them, so the namespace
    // keeps Pod Security baseline rather than the serving namespace's restricted profile.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.gatewayNamespace,
          labels: {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
          },
        },
      },
      child,
    );
    const account = edgeServiceAccount(name, args.gatewayNamespace);
    const serviceAccount =
      edge === undefined
        ? undefined
        : new k8s.core.v1.ServiceAccount(
            `${name}-edge`,
            {
              metadata: {
                name: account.name,
                namespace: namespace.metadata.name,
                annotations: { "azure.workload.identity/client-id": edge.identityClientId },
                labels: { "azure.workload.identity/use": "true" },
              },
              automountServiceAccountToken: false,
            },
            child,
          );

    const gatewayLabels = { "mlops.platform/gateway": name };
    const gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: GATEWAY_API,
        kind: "Gateway",
        metadata: { name, namespace: namespace.metadata.name, labels: gatewayLabels },
        spec: {
          gatewayClassName: args.gatewayClassName ?? APP_ROUTING_GATEWAY_CLASS,
          listeners: gatewayListeners(args, account.name),
        },
      },
      // The operator resolves the TLS options through the ServiceAccount.
      { ...child, dependsOn: serviceAccount === undefined ? [] : [serviceAccount] },
    );
    const parentRefs = (protocol: "http" | "https") =>
      hosts.map((_, i) => ({
        group: "gateway.networking.k8s.io",
        kind: "Gateway",
        name,
        namespace: namespace.metadata.name,
        sectionName: listenerName(protocol, i),
      }));
    const tls = edge?.certificateUri !== undefined;

    const route = new k8s.apiextensions.CustomResource(
      `${name}-route`,
      {
        apiVersion: GATEWAY_API,
        kind: "HTTPRoute",
        metadata: {
          name,
          namespace: args.routeNamespace,
          ...(args.labels === undefined ? {} : { labels: { ...args.labels } }),
        },
        spec: {
          parentRefs: parentRefs(tls ? "https" : "http"),
          hostnames: hosts,
          rules: splitRules(args),
        },
      },
      { ...child, dependsOn: [gateway] },
    );
    if (tls) {
      new k8s.apiextensions.CustomResource(
        `${name}-https-redirect`,
        {
          apiVersion: GATEWAY_API,
          kind: "HTTPRoute",
          metadata: { name: `${name}-https-redirect`, namespace: args.routeNamespace },
          spec: {
            parentRefs: parentRefs("http"),
            hostnames: hosts,
            rules: [
              {
                filters: [
                  {
                    type: "RequestRedirect",
                    requestRedirect: { scheme: "https", statusCode: 301 },
                  },
                ],
              },
            ],
          },
        },
        { ...child, dependsOn: [gateway] },
      );
    }
    if (edge?.dnsZoneResourceId !== undefined && serviceAccount !== undefined) {
      new k8s.apiextensions.CustomResource(
        `${name}-dns`,
        {
          apiVersion: "approuting.kubernetes.azure.com/v1alpha1",
          kind: "ClusterExternalDNS",
          metadata: { name: `${args.gatewayNamespace}-${name}` },
          spec: {
            resourceName: `${args.gatewayNamespace}-${name}`,
            resourceNamespace: namespace.metadata.name,
            dnsZoneResourceIDs: [edge.dnsZoneResourceId],
            resourceTypes: ["gateway"],
            identity: { type: "workloadIdentity", serviceAccount: serviceAccount.metadata.name },
            filters: {
              gatewayLabels: Object.entries(gatewayLabels)
                .map(([k, v]) => `${k}=${v}`)
                .join(","),
            },
          },
        },
        child,
      );
    }

    this.gatewayName = gateway.metadata.name;
    this.routeName = route.metadata.name;
    this.registerOutputs({ gatewayName: this.gatewayName, routeName: this.routeName });
  }
}
