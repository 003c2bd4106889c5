import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  type ClusterMonitoringArgs,
  connectContainerInsights,
  connectManagedPrometheus,
} from "./cluster-monitoring.js";
import type { NetworkConfig, StackConfig } from "./config.js";
import type { PlacementArgs } from "./placement.js";
import { grantRole } from "./roles.js";

export interface AksClusterArgs extends PlacementArgs {
  /** Cluster resource name (1–63 characters, see names.ts). */
  clusterName: string;
  /** DNS prefix of the API server's FQDN (1–54 characters, see names.ts). */
  dnsPrefix: string;
  /** Version, upgrade channels, SKU tier and node pools. */
  settings: StackConfig["aks"];
  /** Pod, service and DNS ranges of the overlay network. */
  ranges: NetworkConfig;
  /** Subnet the node pools join. */
  nodeSubnetId: pulumi.Input<string>;
  /** Where managed Prometheus and Container Insights send their data. */
  monitoring: ClusterMonitoringArgs;
}

/** Zones every pool spreads over, so one zone failure leaves two thirds of each pool. */
export const AVAILABILITY_ZONES = ["1", "2", "3"];

/**
 * The AKS cluster: a system and a user pool across three zones with autoscaler limits, Azure CNI
 * overlay with Cilium network policy, OIDC issuer and workload identity, Entra ID with Azure RBAC
 * and no local accounts, KEDA, managed Prometheus, Container Insights, application routing
 * (managed NGINX) and automatic upgrades. Exposes a Kubernetes provider built from its
 * credentials so workloads never depend on an ambient kubeconfig.
 */
export class AksCluster extends pulumi.ComponentResource {
  /** Cluster resource id. */
  readonly clusterId: pulumi.Output<string>;
  /** Cluster resource name. */
  readonly clusterName: pulumi.Output<string>;
  /** Issuer URL that federated identity credentials trust. */
  readonly oidcIssuerUrl: pulumi.Output<string>;
  /** Object id of the kubelet identity, which pulls images. */
  readonly kubeletObjectId: pulumi.Output<string>;
  /** Kubeconfig for Entra users (kubelogin exec plugin); secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for workloads on this cluster. */
  readonly provider: k8s.Provider;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:AksCluster", name, {}, opts);
    const placement = {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: args.tags,
    };
    const { settings, ranges } = args;

    // A user-assigned control-plane identity exists before the cluster, so it can be given the
    // subnet first; a system-assigned one would be created too late for the cluster's own load
    // balancer and route setup on a bring-your-own subnet.
    const controlPlane = new managedidentity.UserAssignedIdentity(
      `${name}-control-plane`,
      placement,
      {
        parent: this,
      },
    );
    const subnetJoin = grantRole(
      `${name}-control-plane-subnet`,
      {
        scope: args.nodeSubnetId,
        principalId: controlPlane.principalId,
        role: "networkContributor",
        principalType: "ServicePrincipal",
      },
      { parent: this },
    );

    const pool = (
      poolName: string,
      mode: "System" | "User",
      p: StackConfig["aks"]["systemPool"],
    ) => ({
      name: poolName,
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
      vnetSubnetID: args.nodeSubnetId,
      // Keep application pods off the system pool so add-ons never starve.
      nodeTaints: mode === "System" ? ["CriticalAddonsOnly=true:NoSchedule"] : [],
      upgradeSettings: { maxSurge: "33%" },
    });

    const cluster = new containerservice.ManagedCluster(
      `${name}-cluster`,
      {
        ...placement,
        resourceName: args.clusterName,
        dnsPrefix: args.dnsPrefix,
        kubernetesVersion: settings.kubernetesVersion,
        sku: { name: "Base", tier: settings.skuTier },
        identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
        agentPoolProfiles: [
          pool("system", "System", settings.systemPool),
          pool("user", "User", settings.userPool),
        ],
        autoScalerProfile: { expander: "least-waste", balanceSimilarNodeGroups: "true" },
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkDataplane: "cilium",
          networkPolicy: "cilium",
          podCidr: ranges.podCidr,
          serviceCidr: ranges.serviceCidr,
          dnsServiceIP: ranges.dnsServiceIp,
          loadBalancerSku: "standard",
        },
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        aadProfile: { managed: true, enableAzureRBAC: true },
        disableLocalAccounts: true,
        enableRBAC: true,
        workloadAutoScalerProfile: { keda: { enabled: true } },
        azureMonitorProfile: { metrics: { enabled: true, kubeStateMetrics: {} } },
        addonProfiles: {
          omsagent: {
            enabled: true,
            config: {
              logAnalyticsWorkspaceResourceID: args.monitoring.logAnalyticsWorkspaceId,
              useAADAuth: "true",
            },
          },
        },
        ingressProfile: { webAppRouting: { enabled: true } },
        autoUpgradeProfile: {
          upgradeChannel: settings.upgradeChannel,
          nodeOSUpgradeChannel: settings.nodeOsUpgradeChannel,
        },
      },
      { parent: this, dependsOn: [subnetJoin] },
    );

    connectManagedPrometheus(name, cluster, placement, args.monitoring, this);
    connectContainerInsights(name, cluster, placement, args.monitoring, this);

    // `pulumi up` deploys workloads through Azure RBAC (local accounts are off), so whoever runs
    // it needs cluster admin on this cluster and nothing wider.
    const deployer = authorization.getClientConfigOutput({ parent: this });
    const deployerAccess = grantRole(
      `${name}-deployer-admin`,
      { scope: cluster.id, principalId: deployer.objectId, role: "aksRbacClusterAdmin" },
      { parent: this },
    );

    // The user kubeconfig runs kubelogin, which honours AAD_LOGIN_METHOD, so one kubeconfig serves
    // both: azurecli on a laptop (after `az login`); workloadidentity in every workflow job that
    // runs Pulumi, which installs kubelogin (azure/use-kubelogin, pinned) and sets
    // AAD_LOGIN_METHOD, AZURE_CLIENT_ID and AZURE_TENANT_ID: with GitHub's OIDC request variables
    // present (id-token: write) kubelogin exchanges a fresh GitHub token for each Entra token
    // (Azure/kubelogin pkg/internal/token/provider.go), so it outlives the az CLI's session.
    const credentials = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: args.resourceGroupName, resourceName: cluster.name, format: "exec" },
      { parent: this },
    );
    this.kubeconfig = pulumi.secret(
      credentials.kubeconfigs.apply((configs) =>
        Buffer.from(configs[0].value, "base64").toString("utf8"),
      ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { parent: this, dependsOn: [deployerAccess] },
    );

    this.clusterId = cluster.id;
    this.clusterName = cluster.name;
    this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => {
      if (!p?.issuerURL)
        throw new pulumi.ResourceError("the cluster reported no OIDC issuer URL", this);
      return p.issuerURL;
    });
    this.kubeletObjectId = cluster.identityProfile.apply((p) => {
      const objectId = p?.kubeletidentity?.objectId;
      if (!objectId)
        throw new pulumi.ResourceError("the cluster reported no kubelet identity", this);
      return objectId;
    });
    this.registerOutputs({
      clusterId: this.clusterId,
      clusterName: this.clusterName,
      oidcIssuerUrl: this.oidcIssuerUrl,
      kubeletObjectId: this.kubeletObjectId,
      kubeconfig: this.kubeconfig,
    });
  }
}
