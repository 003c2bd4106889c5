import { ESTATE_SKUS, type StackConfig } from "@mlops/contracts";
import * as machinelearningservices from "@pulumi/azure-native/machinelearningservices/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import { type Grantees, grantToAll } from "./grants.js";
import type { IdentityRef } from "./identity.js";
import { type PlacementArgs, placementOf } from "./placement.js";
import { createPrivateEndpoints, type PrivateLinkArgs } from "./private-link.js";

export interface MlWorkspaceArgs extends PlacementArgs {
  /** Workspace name (3–33 characters; see names.ts). */
  workspaceName: string;
  /** Storage account name (3–24 lowercase alphanumerics, globally unique; see names.ts). */
  storageAccountName: string;
  /** Key Vault the workspace keeps its connection secrets in. */
  keyVaultId: pulumi.Input<string>;
  /** Application Insights component the workspace reports to. */
  appInsightsId: pulumi.Input<string>;
  /** Container registry for environment images. */
  registryId: pulumi.Input<string>;
  /** Subnet of the compute cluster's nodes. */
  subnetId: pulumi.Input<string>;
  /** Identity the training jobs run as. */
  trainingIdentity: IdentityRef;
  /** Compute cluster VM size, priority, node bounds and idle time. */
  compute: StackConfig["ml"];
  /** Principals that read and write the workspace's blobs (training jobs). */
  blobContributors: Grantees;
  /** Principals that run jobs in the workspace and track to it (training jobs). */
  dataScientists: Grantees;
  /**
   * Private endpoint placement for the storage account and the workspace; when set, both refuse
   * public traffic.
   */
  privateLink?: PrivateLinkArgs;
}

/** Compute cluster name: Azure ML allows 2–16 characters, unique within the workspace. */
export const TRAINING_CLUSTER_NAME = "train-cpu";

/**
 * The Azure ML workspace: its storage account (no shared keys, no public blobs), links to the
 * platform's Key Vault, App Insights and registry, a system identity, and a CPU compute cluster in
 * the ML subnet that scales down to its minimum (zero by default) when idle.
 */
export class MlWorkspace extends pulumi.ComponentResource {
  /** Workspace resource id. */
  readonly workspaceId: pulumi.Output<string>;
  /** Workspace name, for `az ml` and the pipeline. */
  readonly workspaceName: pulumi.Output<string>;
  /** Compute cluster name jobs target. */
  readonly computeName: pulumi.Output<string>;
  /** The workspace's MLflow endpoint (`azureml://…`): training jobs track to it. */
  readonly mlflowTrackingUri: pulumi.Output<string>;
  /** Storage account resource id: the workspace's artifacts, models included. */
  readonly storageAccountId: pulumi.Output<string>;
  /** Storage account name. */
  readonly storageAccountName: pulumi.Output<string>;
  /** What this component puts on the storage account: its private endpoints and role assignments. */
  readonly storageDependents: readonly pulumi.Resource[];

  constructor(name: string, args: MlWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:MlWorkspace", name, {}, opts);
    const placement = placementOf(args);

    const account = new storage.StorageAccount(
      `${name}-storage`,
      {
        ...placement,
        accountName: args.storageAccountName,
        kind: "StorageV2",
        sku: { name: ESTATE_SKUS.storage },
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
        allowBlobPublicAccess: false,
        // Identities only. Azure ML supports a workspace storage without shared keys in production
        // only with `systemDatastoresAuthMode: identity` (below), and then no compute instance
        // with a system-assigned identity and no model packaging (Azure ML docs,
        // how-to-disable-local-auth-storage); this platform uses neither.
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        publicNetworkAccess: args.privateLink ? "Disabled" : "Enabled",
        networkRuleSet: {
          defaultAction: args.privateLink ? "Deny" : "Allow",
          bypass: "AzureServices",
        },
      },
      { parent: this },
    );
    const storageEndpoints = args.privateLink
      ? createPrivateEndpoints(
          name,
          account.id,
          ["blob", "file"],
          args.privateLink,
          placement,
          this,
        )
      : [];
    const blobGrants = grantToAll(
      `${name}-blob`,
      account.id,
      "storageBlobDataContributor",
      args.blobContributors,
      this,
    );

    const workspace = new machinelearningservices.Workspace(
      `${name}-workspace`,
      {
        ...placement,
        workspaceName: args.workspaceName,
        kind: "Default",
        sku: { name: "Basic", tier: "Basic" },
        identity: { type: "SystemAssigned" },
        storageAccount: account.id,
        keyVault: args.keyVaultId,
        applicationInsights: args.appInsightsId,
        containerRegistry: args.registryId,
        systemDatastoresAuthMode: "identity",
        // With storage, Key Vault and the registry private, environment images are built on the
        // training cluster (it reaches the internet through the NAT gateway) instead of the
        // workspace's serverless builder, which cannot reach them (Azure ML docs,
        // how-to-secure-workspace-vnet, "Enable Azure Container Registry").
        imageBuildCompute: TRAINING_CLUSTER_NAME,
        // With a private endpoint (compute without public IPs reaches the workspace only through
        // it), public access is off.
        publicNetworkAccess: args.privateLink ? "Disabled" : "Enabled",
      },
      { parent: this },
    );
    const workspaceEndpoints = args.privateLink
      ? createPrivateEndpoints(
          `${name}-workspace`,
          workspace.id,
          ["amlworkspace"],
          args.privateLink,
          placement,
          this,
        )
      : [];

    grantToAll(
      `${name}-data-scientist`,
      workspace.id,
      "azureMlDataScientist",
      args.dataScientists,
      this,
    );

    const { compute } = args;
    const cluster = new machinelearningservices.Compute(
      `${name}-compute`,
      {
        ...placement,
        workspaceName: workspace.name,
        computeName: TRAINING_CLUSTER_NAME,
        identity: { type: "UserAssigned", userAssignedIdentities: [args.trainingIdentity.id] },
        properties: {
          computeType: "AmlCompute",
          properties: {
            vmSize: compute.vmSize,
            vmPriority: compute.vmPriority,
            osType: "Linux",
            scaleSettings: {
              minNodeCount: compute.minNodes,
              maxNodeCount: compute.maxNodes,
              nodeIdleTimeBeforeScaleDown: compute.idleTimeBeforeScaleDown,
            },
            subnet: { id: args.subnetId },
            // Nodes without a public IP reach the service only through the workspace's private
            // endpoint, which Azure requires for them ("You must use a workspace private endpoint",
            // MicrosoftDocs/azure-ai-docs articles/machine-learning/how-to-secure-training-vnet.md,
            // "no public IP"); without private networking there is none, so the nodes take public
            // IPs and the ML subnet admits the service's inbound port (network.ts). No SSH either way.
            enableNodePublicIp: args.privateLink === undefined,
            remoteLoginPortPublicAccess: "Disabled",
          },
        },
      },
      // Nodes without public IPs register with the service through the workspace's endpoint.
      { parent: this, dependsOn: workspaceEndpoints },
    );

    this.workspaceId = workspace.id;
    this.workspaceName = workspace.name;
    this.computeName = cluster.name;
    this.mlflowTrackingUri = workspace.mlFlowTrackingUri;
    this.storageAccountId = account.id;
    this.storageAccountName = account.name;
    this.storageDependents = [...storageEndpoints, ...blobGrants];
    this.registerOutputs({
      workspaceId: this.workspaceId,
      workspaceName: this.workspaceName,
      computeName: this.computeName,
      storageAccountId: this.storageAccountId,
      storageAccountName: this.storageAccountName,
    });
  }
}
