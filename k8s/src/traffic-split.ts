/**
 * The public split between champion and challenger, in one of two
 * implementations chosen in stack config:
 * - `gateway` (the default): Gateway API on the AKS application routing
 *   add-on (`approuting-istio`), per-request weights on an HTTPRoute;
 * - `nginx-canary`: the ingress-nginx stable + canary Ingress pair, with
 *   cookie stickiness, for clusters that run a maintained NGINX controller.
 * Both carry the same weight (the challenger's percent) and the same forcing
 * header, so releases drive either one the same way.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CanaryIngress, validateCanaryIngressArgs } from "./canary-ingress.js";
import { GatewayRoute, type GatewayRouteArgs, validateGatewayRouteArgs } from "./gateway-route.js";
import type { BackendService, IngressRule } from "./routes.js";
import { APP_ROUTING_NAMESPACE } from "./serving-namespace.js";

/** Which implementation carries the split. */
export const TrafficSplitKind = {
  /** Gateway API (application routing `approuting-istio`). */
  Gateway: "gateway",
  /** ingress-nginx canary Ingress pair (application routing managed NGINX). */
  NginxCanary: "nginx-canary",
} as const;
export type TrafficSplitKind = (typeof TrafficSplitKind)[keyof typeof TrafficSplitKind];

/** Stack-level settings of the split. */
export interface TrafficSplitSettings {
  /** Implementation that serves the public host (owns its DNS record). @default "gateway" */
  readonly kind?: TrafficSplitKind;
  /**
   * The other implementation, run alongside with the same routes, weights and
   * certificate but no DNS record: the side-by-side step of a migration,
   * reached through its own load balancer IP until DNS is cut over.
   */
  readonly standby?: TrafficSplitKind;
  /** Hosts and paths of the API. */
  readonly rules: readonly IngressRule[];
  /** Percent of requests (integer 0-100) to the challenger; from stack config. */
  readonly weight: number;
  /** Header forcing an arm (`always` / `never`). @default "X-Canary" */
  readonly header?: string;
  /** nginx-canary: cookie forcing an arm the same way. @default none */
  readonly cookie?: string;
  /** Labels of the route objects (e.g. `PUBLIC_ROUTE_LABEL`, which the policy pack reads). @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** nginx-canary: IngressClass. @default the AKS application-routing class */
  readonly ingressClassName?: string;
  /** gateway: GatewayClass. @default "approuting-istio" */
  readonly gatewayClassName?: string;
  /**
   * Unversioned Key Vault certificate URI for the hosts: HTTPS, with HTTP
   * redirected to it. Absent: plain HTTP.
   */
  readonly certificateUri?: pulumi.Input<string>;
  /**
   * gateway: DNS records and the certificate come through the add-on's
   * operator, as the identity federated to `edgeServiceAccount(...)`.
   * (nginx-canary: the cluster's routing add-on holds the zone and its own
   * identity instead.)
   */
  readonly edge?: {
    readonly identityClientId: pulumi.Input<string>;
    readonly dnsZoneResourceId: pulumi.Input<string>;
  };
}

/** The kind in effect. */
export const splitKind = (settings: Pick<TrafficSplitSettings, "kind">): TrafficSplitKind =>
  settings.kind ?? TrafficSplitKind.Gateway;

/** Namespace of the Gateway for serving namespace `namespace`. */
export const gatewayNamespaceFor = (namespace: string): string => `${namespace}-gateway`;

/** The implementations the stack runs: the public one, then the standby. */
export const splitKinds = (settings: TrafficSplitSettings): TrafficSplitKind[] => [
  splitKind(settings),
  ...(settings.standby === undefined ? [] : [settings.standby]),
];

/** Namespaces whose pods send client traffic to the serving pods. */
export function edgeNamespaces(settings: TrafficSplitSettings, namespace: string): string[] {
  return splitKinds(settings).map((kind) =>
    kind === TrafficSplitKind.Gateway ? gatewayNamespaceFor(namespace) : APP_ROUTING_NAMESPACE,
  );
}

/** Where the split sends requests, and what it is called. */
export interface SplitTarget {
  readonly provider: k8s.Provider;
  /** Namespace of the Services (an output, to carry the dependency). */
  readonly namespace: pulumi.Input<string>;
  /** The same, as plain text. */
  readonly namespaceName: string;
  readonly champion: BackendService;
  readonly challenger: BackendService;
}

function gatewayArgs(
  settings: TrafficSplitSettings,
  target: SplitTarget,
  publicHost: boolean,
): GatewayRouteArgs {
  return {
    provider: target.provider,
    gatewayNamespace: gatewayNamespaceFor(target.namespaceName),
    routeNamespace: target.namespace,
    routeNamespaceName: target.namespaceName,
    rules: settings.rules,
    champion: target.champion,
    challenger: target.challenger,
    challengerWeight: settings.weight,
    header: settings.header,
    gatewayClassName: settings.gatewayClassName,
    labels: settings.labels,
    edge:
      settings.edge === undefined
        ? undefined
        : {
            identityClientId: settings.edge.identityClientId,
            certificateUri: settings.certificateUri,
            dnsZoneResourceId: publicHost ? settings.edge.dnsZoneResourceId : undefined,
          },
  };
}

function canaryArgs(settings: TrafficSplitSettings, target: SplitTarget) {
  return {
    provider: target.provider,
    namespace: target.namespace,
    rules: settings.rules,
    stable: target.champion,
    canary: target.challenger,
    canaryWeight: settings.weight,
    canaryHeader: settings.header,
    canaryCookie: settings.cookie,
    ingressClassName: settings.ingressClassName,
    keyVaultCertificateUri: settings.certificateUri,
    labels: settings.labels,
  };
}

/** Throws, naming the field and the rule, unless the split can be created as `name`. */
export function validateTrafficSplit(
  name: string,
  settings: TrafficSplitSettings,
  target: SplitTarget,
): void {
  for (const [field, kind] of [
    ["kind", splitKind(settings)],
    ["standby", settings.standby],
  ] as const) {
    if (kind !== undefined && !Object.values(TrafficSplitKind).includes(kind)) {
      throw new Error(`${field}: "${kind}" must be gateway or nginx-canary`);
    }
  }
  if (settings.standby === splitKind(settings)) {
    throw new Error(`standby: "${settings.standby}" must differ from kind (it runs alongside it)`);
  }
  const kinds = splitKinds(settings);
  if (kinds.includes(TrafficSplitKind.Gateway)) {
    if (settings.certificateUri !== undefined && settings.edge === undefined) {
      throw new Error(
        "edge: required with a certificate on the gateway (the identity that reads it and the DNS zone)",
      );
    }
    validateGatewayRouteArgs(name, gatewayArgs(settings, target, true));
  } else if (settings.edge !== undefined) {
    throw new Error(
      "edge: only for the gateway; nginx-canary takes DNS and certificates through the cluster's routing add-on",
    );
  }
  if (kinds.includes(TrafficSplitKind.NginxCanary)) {
    validateCanaryIngressArgs(name, canaryArgs(settings, target));
  }
}

/**
 * Creates the split (and its standby); returns the name of the public one's
 * object whose weight the pipeline moves. Each implementation keeps its own
 * resource names whichever role it has, so swapping them replaces nothing.
 */
export function createTrafficSplit(
  name: string,
  settings: TrafficSplitSettings,
  target: SplitTarget,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  const weighted = splitKinds(settings).map((kind, i) =>
    kind === TrafficSplitKind.Gateway
      ? new GatewayRoute(name, gatewayArgs(settings, target, i === 0), { parent }).routeName
      : new CanaryIngress(name, canaryArgs(settings, target), { parent }).canaryIngressName,
  );
  return weighted[0]!;
}
