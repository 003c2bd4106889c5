import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  type ClusterBodyArgs,
  type ClusterReadback,
  clusterProperties,
  dataPlaneWarnings,
  MANAGED_CLUSTER_API_VERSION,
} from "./aks-cluster-body.js";
import { type ClusterAdminsArgs, grantClusterAdmins } from "./cluster-admins.js";
import { type ClusterMonitoringArgs, connectClusterMonitoring } from "./cluster-monitoring.js";
import { grantToIdentity } from "./grants.js";
import { type PlacementArgs, placementOf } from "./placement.js";

export interface AksClusterArgs
  extends PlacementArgs,
    Omit<ClusterBodyArgs, "logAnalyticsWorkspaceId"> {
  /** Cluster resource name (1–63 characters, see names.ts). */
  clusterName: string;
  /** Where managed Prometheus and Container Insights send their data. */
  monitoring: ClusterMonitoringArgs;
  /** Who holds cluster admin; the Kubernetes provider waits for those grants. */
  admins: ClusterAdminsArgs;
  /**
   * Resources that must exist before the cluster: the node subnet's NAT gateway association
   * (outbound type `userAssignedNATGateway` requires it preconfigured, AKS docs nat-gateway).
   */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The AKS cluster (see aks-cluster-body.ts for what it runs), at an explicit ManagedCluster API
 * version through the provider's generic resource. Exposes a Kubernetes provider built from its
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
  /** Object id of the application routing add-on's identity (its NGINX path's DNS and TLS). */
  readonly appRoutingObjectId: pulumi.Output<string>;
  /** Resource group AKS creates for the nodes, disks and load balancers (where they are billed). */
  readonly nodeResourceGroup: pulumi.Output<string>;
  /** Kubeconfig for Entra users (kubelogin exec plugin); secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for workloads on this cluster. */
  readonly provider: k8s.Provider;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:AksCluster", name, {}, opts);
    const placement = placementOf(args);
    // Shown by `pulumi preview` and `pulumi up` alike: the stack still deploys.
    for (const warning of dataPlaneWarnings(args.dataPlanes)) pulumi.log.warn(warning, this);

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
    const subnetJoin = grantToIdentity(
      `${name}-control-plane-subnet`,
      args.nodeSubnetId,
      "networkContributor",
      controlPlane.principalId,
      { parent: this },
    );

    const cluster = new resources.Resource(
      `${name}-cluster`,
      {
        ...placement,
        apiVersion: MANAGED_CLUSTER_API_VERSION,
        resourceProviderNamespace: "Microsoft.ContainerService",
        parentResourcePath: "",
        resourceType: "managedClusters",
        resourceName: args.clusterName,
        sku: { name: "Base", tier: args.settings.skuTier },
        identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
        properties: clusterProperties({
          ...args,
          logAnalyticsWorkspaceId: args.monitoring.logAnalyticsWorkspaceId,
        }),
      },
      { parent: this, dependsOn: [subnetJoin, ...(args.dependsOn ?? [])] },
    );
    const readback = cluster.properties as pulumi.Output<ClusterReadback>;

    connectClusterMonitoring(name, cluster, placement, args.monitoring, this);

    // `pulumi up` deploys workloads through Azure RBAC (local accounts are off), so whoever runs
    // it needs cluster admin on this cluster and nothing wider (cluster-admins.ts).
    const admins = grantClusterAdmins(name, cluster.id, args.admins, this);

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
      { parent: this, dependsOn: admins },
    );

    this.clusterId = cluster.id;
    this.clusterName = cluster.name;
    const reported = <T>(what: string, pick: (p: ClusterReadback) => T | undefined) =>
      readback.apply((p) => {
        const value = pick(p ?? {});
        if (!value) throw new pulumi.ResourceError(`the cluster reported no ${what}`, this);
        return value;
      });
    this.oidcIssuerUrl = reported("OIDC issuer URL", (p) => p.oidcIssuerProfile?.issuerURL);
    this.kubeletObjectId = reported(
      "kubelet identity",
      (p) => p.identityProfile?.kubeletidentity?.objectId,
    );
    this.appRoutingObjectId = reported(
      "application routing identity",
      (p) => p.ingressProfile?.webAppRouting?.identity?.objectId,
    );
    this.nodeResourceGroup = reported("node resource group", (p) => p.nodeResourceGroup);
    this.registerOutputs({
      nodeResourceGroup: this.nodeResourceGroup,
      clusterId: this.clusterId,
      clusterName: this.clusterName,
      oidcIssuerUrl: this.oidcIssuerUrl,
      kubeletObjectId: this.kubeletObjectId,
      appRoutingObjectId: this.appRoutingObjectId,
      kubeconfig: this.kubeconfig,
    });
  }
}
