/**
 * The AKS ManagedCluster as the ARM request body of API version 2026-02-01, the first stable
 * version with the application routing Gateway API settings: `ingressProfile.gatewayAPI`
 * (managed Gateway API CRDs) and `ingressProfile.webAppRouting.gatewayAPIImplementations`
 * (`appRoutingIstio`). Both are `@added(Versions.v2026_02_01)` in the ManagedCluster TypeSpec of
 * Azure/azure-rest-api-specs (containerservice, aks/stable/2026-02-01).
 *
 * Why a body and not `containerservice.ManagedCluster`: the newest @pulumi/azure-native release
 * (3.28.0, 2026-09-21; `npm view @pulumi/azure-native versions`) generates ManagedCluster from
 * API 2025-09-01, whose types have neither property; other versions are reachable only through
 * `pulumi package add azure-native containerservice 2026-02-01`, a local SDK the CLI generates.
 * The provider's generic `resources.Resource` sends a body at an explicit API version instead
 * (read-after-create uses it too since pulumi-azure-native PR 4692); this module keeps that body
 * typed. Property names are ARM's (e.g. `balance-similar-node-groups`), not the SDK's.
 */
import {
  type ApiServerAccess,
  type NetworkConfig,
  NODE_POOL_MAX_SURGE_PERCENT,
  type StackConfig,
} from "@mlops/contracts";
import type * as pulumi from "@pulumi/pulumi";
import { apiServerAccessProfile } from "./api-server-access.js";

/** The ManagedCluster API version the program pins. */
export const MANAGED_CLUSTER_API_VERSION = "2026-02-01";

/** Zones every pool spreads over, so one zone failure leaves two thirds of each pool. */
export const AVAILABILITY_ZONES = ["1", "2", "3"];

/** The traffic-split implementations, as the stack config names them. */
export type DataPlane = "gateway" | "nginx-canary";

/** What the cluster body is built from. */
export interface ClusterBodyArgs {
  dnsPrefix: string;
  /**
   * The node resource group's name, set only at creation; undefined keeps AKS's own
   * (names.ts, `nodeResourceGroupName`).
   */
  nodeResourceGroup: pulumi.Input<string | undefined>;
  settings: StackConfig["aks"];
  ranges: NetworkConfig;
  nodeSubnetId: pulumi.Input<string>;
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  /** The data planes the stack runs: the public one first, then a standby while migrating. */
  dataPlanes: readonly DataPlane[];
  /**
   * Azure DNS zones the routing add-on's NGINX path publishes Ingress hosts to: only when NGINX
   * serves the public host (the Gateway path uses a ClusterExternalDNS instead).
   */
  nginxDnsZoneIds: readonly pulumi.Input<string>[];
  /** Private API server, or public limited to authorized ranges (api-server-access.ts). */
  apiServer: ApiServerAccess;
  /**
   * Addresses the estate itself sends from that must reach a public API server: the node
   * subnet's and the runners' NAT gateways.
   */
  ownEgressIps: readonly pulumi.Input<string | undefined>[];
}

/**
 * `ingressProfile`: the application routing add-on stays on (its operator also reconciles the
 * Gateway path's TLS and DNS); its default NGINX controller only where NGINX is a data plane
 * (`None` otherwise, AKS docs app-routing-nginx-to-gateway-api-migration, step 8); managed
 * Gateway API CRDs and the `approuting-istio` implementation where the Gateway is one. The
 * implementation cannot run together with the Istio service mesh add-on, which this cluster
 * does not enable (AKS docs app-routing-gateway-api, Limitations).
 */
export function ingressProfile(
  dataPlanes: readonly DataPlane[],
  nginxDnsZoneIds: readonly pulumi.Input<string>[],
) {
  const gateway = dataPlanes.includes("gateway");
  const nginx = dataPlanes.includes("nginx-canary");
  return {
    gatewayAPI: { installation: gateway ? "Standard" : "Disabled" },
    webAppRouting: {
      enabled: true,
      dnsZoneResourceIds: nginx ? [...nginxDnsZoneIds] : [],
      nginx: { defaultIngressControllerType: nginx ? "AnnotationControlled" : "None" },
      gatewayAPIImplementations: {
        appRoutingIstio: { mode: gateway ? "Enabled" : "Disabled" },
      },
    },
  };
}

/**
 * Why the `nginx-canary` data plane is a risk to choose: the routing add-on's managed NGINX
 * "will stop receiving Azure support from Azure after November 2026", and users must move to the
 * add-on's Gateway API implementation by then (MicrosoftDocs/azure-aks-docs
 * articles/aks/app-routing-gateway-api.md, ms.date 07/01/2026).
 */
export const MANAGED_NGINX_RETIREMENT =
  "the nginx-canary data plane runs the AKS application routing add-on's managed NGINX, which stopped receiving Azure support after November 2026 (MicrosoftDocs/azure-aks-docs articles/aks/app-routing-gateway-api.md); set serving.trafficSplit to gateway (serving.standbySplit keeps NGINX alongside while moving)";

/** The warnings a stack's data planes call for: one when NGINX is among them. */
export function dataPlaneWarnings(dataPlanes: readonly DataPlane[]): string[] {
  return dataPlanes.includes("nginx-canary") ? [MANAGED_NGINX_RETIREMENT] : [];
}

/** One autoscaled, zoned node pool in the node subnet. */
function pool(
  name: string,
  mode: "System" | "User",
  p: StackConfig["aks"]["systemPool"],
  subnetId: pulumi.Input<string>,
) {
  return {
    name,
    mode,
    vmSize: p.vmSize,
    osType: "Linux",
    osSKU: "AzureLinux",
    type: "VirtualMachineScaleSets",
    availabilityZones: AVAILABILITY_ZONES,
    enableAutoScaling: true,
    minCount: p.minCount,
    maxCount: p.maxCount,
    count: p.minCount,
    vnetSubnetID: subnetId,
    // Keep application pods off the system pool so add-ons never starve.
    nodeTaints: mode === "System" ? ["CriticalAddonsOnly=true:NoSchedule"] : [],
    upgradeSettings: { maxSurge: `${NODE_POOL_MAX_SURGE_PERCENT}%` },
  };
}

/**
 * `properties` of the cluster: a system and a user pool across three zones with autoscaler
 * limits, Azure CNI overlay with Cilium, egress through the node subnet's NAT gateway
 * (`userAssignedNATGateway`, AKS docs nat-gateway), OIDC issuer and workload identity, Entra ID
 * with Azure RBAC and no local accounts,
 * the API server private or limited to authorized ranges (api-server-access.ts), KEDA, managed Prometheus, Container Insights, the Key
 * Vault secrets provider (both TLS paths sync certificates through it), application routing and
 * automatic upgrades.
 */
export function clusterProperties(args: ClusterBodyArgs) {
  const { settings, ranges } = args;
  return {
    dnsPrefix: args.dnsPrefix,
    // An input resolving to undefined is left out of the request body.
    nodeResourceGroup: args.nodeResourceGroup,
    ...(settings.kubernetesVersion === undefined
      ? {}
      : { kubernetesVersion: settings.kubernetesVersion }),
    agentPoolProfiles: [
      pool("system", "System", settings.systemPool, args.nodeSubnetId),
      pool("user", "User", settings.userPool, args.nodeSubnetId),
    ],
    autoScalerProfile: { expander: "least-waste", "balance-similar-node-groups": "true" },
    networkProfile: {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkDataplane: "cilium",
      networkPolicy: "cilium",
      podCidr: ranges.podCidr,
      serviceCidr: ranges.serviceCidr,
      dnsServiceIP: ranges.dnsServiceIp,
      loadBalancerSku: "standard",
      outboundType: "userAssignedNATGateway",
    },
    oidcIssuerProfile: { enabled: true },
    securityProfile: { workloadIdentity: { enabled: true } },
    aadProfile: { managed: true, enableAzureRBAC: true },
    disableLocalAccounts: true,
    apiServerAccessProfile: apiServerAccessProfile(args.apiServer, args.ownEgressIps),
    enableRBAC: true,
    workloadAutoScalerProfile: { keda: { enabled: true } },
    azureMonitorProfile: { metrics: { enabled: true, kubeStateMetrics: {} } },
    addonProfiles: {
      omsagent: {
        enabled: true,
        config: {
          logAnalyticsWorkspaceResourceID: args.logAnalyticsWorkspaceId,
          useAADAuth: "true",
        },
      },
      azureKeyvaultSecretsProvider: {
        enabled: true,
        // Renewed certificates reach the gateways, and rotated API keys and canary tokens the
        // serving pods' mounts, without a restart: a new secret version is written to the mounted
        // file within the poll interval (AKS docs csi-secrets-store-configuration-options).
        config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
      },
    },
    ingressProfile: ingressProfile(args.dataPlanes, args.nginxDnsZoneIds),
    autoUpgradeProfile: {
      upgradeChannel: settings.upgradeChannel,
      nodeOSUpgradeChannel: settings.nodeOsUpgradeChannel,
    },
  };
}

/** What the program reads back from the cluster's `properties`. */
export interface ClusterReadback {
  nodeResourceGroup?: string;
  oidcIssuerProfile?: { issuerURL?: string };
  identityProfile?: { kubeletidentity?: { objectId?: string } };
  ingressProfile?: { webAppRouting?: { identity?: { objectId?: string } } };
}
