import { COSMOS_LAYOUT, type StackConfig } from "@mlops/contracts";
import {
  DEFAULT_HEALTH_PATHS,
  servingEdgeServiceAccount,
  servingServiceAccounts,
} from "@mlops/k8s";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "./aks.js";
import { callerNeedsGrant, deployerOf } from "./cluster-admins.js";
import { CosmosStore } from "./cosmos.js";
import { EdgeSecrets } from "./edge-auth.js";
import {
  createGarchPlatform,
  garchEdgeServiceAccounts,
  garchHealthCheckUrl,
  garchServiceAccounts,
  garchUrl,
} from "./garch-platform.js";
import { grantToIdentity } from "./grants.js";
import { Guardrails } from "./guardrails.js";
import { Identity } from "./identity.js";
import { MlWorkspace } from "./ml-workspace.js";
import {
  AKS_LOG_CATEGORIES,
  ALL_METRICS,
  ARTIFACT_BLOB_LOG_CATEGORIES,
  BLOB_METRIC_CATEGORIES,
  COSMOS_METRIC_CATEGORIES,
  ML_WORKSPACE_LOG_CATEGORIES,
  Monitors,
} from "./monitors.js";
import { azureNames, nodeResourceGroupName } from "./names.js";
import { Network } from "./network.js";
import { grantPipelineAccess, PipelineIdentities } from "./pipeline-identities.js";
import type { PlatformTags } from "./placement.js";
import { Registry } from "./registry.js";
import { RunnerSubnet } from "./runner-subnet.js";
import {
  createServingStack,
  dataPlanes,
  publicUrl,
  SERVING_STACK,
  servingPrerequisites,
} from "./serving.js";
import { Telemetry } from "./telemetry.js";
import { Vault } from "./vault.js";

/** What the pipeline reads from the stack after `pulumi up`. */
export interface PlatformOutputs {
  resourceGroupName: pulumi.Output<string>;
  acrLoginServer: pulumi.Output<string>;
  clusterName: pulumi.Output<string>;
  ingressHost: string;
  /** The URL the web test and the pipeline's smoke test call: https unless the stack says `tls: off`. */
  publicUrl: string;
  cosmosEndpoint: pulumi.Output<string>;
  cosmosDatabase: pulumi.Output<string>;
  keyVaultUri: pulumi.Output<string>;
  appInsightsConnectionString: pulumi.Output<string>;
  mlWorkspaceName: pulumi.Output<string>;
  mlComputeName: pulumi.Output<string>;
  /** `MLFLOW_TRACKING_URI` of training jobs (`mlops train --target azureml`). */
  mlflowTrackingUri: pulumi.Output<string>;
  servingClientId: pulumi.Output<string>;
  trainingClientId: pulumi.Output<string>;
  prometheusQueryEndpoint: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  /** Undefined while `serving.enabled` is false. */
  servingNamespace: pulumi.Output<string> | undefined;
  /** The object whose weight releases move: the HTTPRoute, or the NGINX canary Ingress. */
  trafficSplit: pulumi.Output<string> | undefined;
  /** Public URL of the GARCH volatility service; undefined without `garch` config. */
  garchUrl: string | undefined;
  /** Client ids the workflows sign in with, and where their runners go (with `pipeline` config). */
  pipeline?: {
    previewClientId: pulumi.Output<string>;
    buildClientId: pulumi.Output<string>;
    deployClientId: pulumi.Output<string>;
    previewPrincipalId: pulumi.Output<string>;
    deployPrincipalId: pulumi.Output<string>;
    runnerSubnetId: pulumi.Output<string>;
    runnerEgressIp: pulumi.Output<string | undefined>;
  };
}

/** Creates the whole estate for one stack; `index.ts` exports the result as stack outputs. */
export function createPlatform(cfg: StackConfig, project: string, stack: string): PlatformOutputs {
  const names = azureNames(project, stack, cfg.generation);
  const tags: PlatformTags = { project, environment: cfg.environment, owner: cfg.owner };
  const client = authorization.getClientConfigOutput();

  const group = new resources.ResourceGroup("platform", { location: cfg.location, tags });
  const placement = { resourceGroupName: group.name, location: cfg.location, tags };

  const telemetry = new Telemetry("telemetry", {
    ...placement,
    retentionInDays: cfg.logRetentionDays,
    dailyQuotaGb: cfg.guardrails.logDailyCapGb,
    alertWebhooks: cfg.alertWebhooks,
    alertEmails: cfg.alertEmails,
  });

  const net = new Network("network", {
    ...placement,
    ranges: cfg.network,
    privateNetworking: cfg.privateNetworking,
  });
  const privateLink = net.privateLink;

  const pipeline = cfg.pipeline
    ? new PipelineIdentities("pipeline", { ...placement, pipeline: cfg.pipeline })
    : undefined;
  // Before the cluster: a public API server admits the runners' NAT address.
  const runners = pipeline
    ? new RunnerSubnet(
        "runners",
        { ...placement, vnetId: net.vnetId, addressPrefix: cfg.network.runnerSubnet },
        // After the platform's own subnets: Azure rejects concurrent writes to one VNet.
        { dependsOn: [net] },
      )
    : undefined;

  const aks = new AksCluster("aks", {
    ...placement,
    clusterName: names.aksCluster,
    dnsPrefix: names.aksDnsPrefix,
    nodeResourceGroup: group.name.apply((rg) =>
      nodeResourceGroupName(rg, names.aksCluster, cfg.location, names.aksNodeResourceGroup),
    ),
    settings: cfg.aks,
    ranges: cfg.network,
    nodeSubnetId: net.aksSubnetId,
    dataPlanes: dataPlanes(cfg.serving),
    nginxDnsZoneIds:
      cfg.serving.tls !== "off" && cfg.serving.trafficSplit === "nginx-canary"
        ? [cfg.serving.tls.dnsZoneId]
        : [],
    apiServer: cfg.apiServer,
    // The nodes reach a public API server through their NAT gateway, the deploy jobs through the
    // runners' (api-server-access.ts).
    ownEgressIps: [net.egressIp, ...(runners ? [runners.egressIp] : [])],
    monitoring: {
      monitorWorkspaceId: telemetry.monitorWorkspaceId,
      logAnalyticsWorkspaceId: telemetry.logAnalyticsWorkspaceId,
    },
    admins: {
      listed: cfg.aks.clusterAdmins,
      pipelineDeployPrincipalId: pipeline?.deploy.principalId,
      grantCaller: callerNeedsGrant(cfg.aks.clusterAdmins, deployerOf(process.env, cfg)),
    },
  });

  const planes = dataPlanes(cfg.serving);
  const tls = cfg.serving.tls === "off" ? undefined : cfg.serving.tls;
  const identity = new Identity("identity", {
    ...placement,
    oidcIssuerUrl: aks.oidcIssuerUrl,
    servingServiceAccounts: [
      ...servingServiceAccounts(SERVING_STACK, cfg.serving.namespace),
      ...garchServiceAccounts(cfg.garch),
    ],
    monitorWorkspaceId: telemetry.monitorWorkspaceId,
    edgeServiceAccounts:
      tls !== undefined && planes.includes("gateway")
        ? [
            servingEdgeServiceAccount(SERVING_STACK, cfg.serving.namespace),
            ...garchEdgeServiceAccounts(cfg.garch),
          ]
        : [],
  });
  const workloads = {
    serving: identity.serving.principalId,
    training: identity.training.principalId,
  };
  // The serving pods send telemetry with their own token (the component takes no other).
  const telemetryPublisher = grantToIdentity(
    "telemetry-publisher-serving",
    telemetry.appInsightsId,
    "monitoringMetricsPublisher",
    identity.serving.principalId,
    {},
  );

  const registry = new Registry("registry", {
    ...placement,
    registryName: names.registry,
    pullers: { kubelet: aks.kubeletObjectId, training: identity.training.principalId },
    privateLink,
  });

  const vault = new Vault("vault", {
    ...placement,
    vaultName: names.keyVault,
    tenantId: client.tenantId,
    // Only the edge's secrets are read: the serving pods mount the API keys and canary tokens,
    // the deploy jobs' smoke test uses one of each. Everything else is reached with identities
    // (the access matrix in access.test.ts lists every grant and its use).
    secretReaders: {
      serving: identity.serving.principalId,
      ...(pipeline && { deploy: pipeline.deploy.principalId }),
    },
    privateLink,
  });
  const edgeSecrets = new EdgeSecrets("edge", {
    ...placement,
    vaultName: names.keyVault,
    vault,
    tenantId: client.tenantId,
    servingClientId: identity.serving.clientId,
    auth: cfg.edgeAuth,
  });

  const cosmos = new CosmosStore("cosmos", {
    ...placement,
    accountName: names.cosmosAccount,
    databaseName: COSMOS_LAYOUT.defaultDatabase,
    containers: Object.values(COSMOS_LAYOUT.containers),
    capacity: cfg.cosmos,
    dataContributors: { ...workloads, ...pipeline?.storeWriters() },
    privateLink,
  });

  const ml = new MlWorkspace("ml", {
    ...placement,
    workspaceName: names.mlWorkspace,
    storageAccountName: names.storageAccount,
    keyVaultId: vault.vaultId,
    appInsightsId: telemetry.appInsightsId,
    registryId: registry.registryId,
    subnetId: net.mlSubnetId,
    trainingIdentity: identity.training,
    compute: cfg.ml,
    // The build jobs upload training data and download job outputs.
    blobContributors: {
      training: identity.training.principalId,
      ...(pipeline && { build: pipeline.build.principalId }),
    },
    dataScientists: { training: identity.training.principalId },
    privateLink,
  });

  const monitors = new Monitors("monitors", {
    ...placement,
    logAnalyticsWorkspaceId: telemetry.logAnalyticsWorkspaceId,
    logAnalyticsWorkspaceName: telemetry.logAnalyticsWorkspaceName,
    appInsightsId: telemetry.appInsightsId,
    monitorWorkspaceId: telemetry.monitorWorkspaceId,
    clusterName: aks.clusterName,
    clusterId: aks.clusterId,
    servingNamespaces: [cfg.serving.namespace, ...(cfg.garch ? [cfg.garch.namespace] : [])],
    additionalHealthChecks: cfg.garch
      ? [
          {
            role: "garch",
            url: garchHealthCheckUrl(cfg.serving, cfg.garch),
            description: "Health of the GARCH volatility service through its public route.",
          },
        ]
      : [],
    actionGroupId: telemetry.actionGroupId,
    healthCheckUrl: `${publicUrl(cfg.serving)}${DEFAULT_HEALTH_PATHS.ready}`,
    diagnostics: {
      aks: { resourceId: aks.clusterId, categories: AKS_LOG_CATEGORIES, metrics: ALL_METRICS },
      acr: { resourceId: registry.registryId, metrics: ALL_METRICS },
      kv: { resourceId: vault.vaultId, metrics: ALL_METRICS },
      cosmos: { resourceId: cosmos.accountId, metrics: COSMOS_METRIC_CATEGORIES },
      artifacts: {
        resourceId: pulumi.interpolate`${ml.storageAccountId}/blobServices/default`,
        categories: ARTIFACT_BLOB_LOG_CATEGORIES,
        metrics: BLOB_METRIC_CATEGORIES,
      },
      ml: {
        resourceId: ml.workspaceId,
        categories: ML_WORKSPACE_LOG_CATEGORIES,
        metrics: ALL_METRICS,
      },
    },
  });

  new Guardrails("guardrails", {
    resourceGroupName: group.name,
    subscriptionId: client.subscriptionId,
    stackLabel: `${project}-${stack}`,
    logAnalyticsWorkspaceId: telemetry.logAnalyticsWorkspaceId,
    actionGroupId: telemetry.actionGroupId,
    // Each lock after what it would keep from being deleted (guardrails.ts): the components hold
    // the children, private endpoints and scoped role assignments; the monitors the settings.
    locked: {
      cosmos: { id: cosmos.accountId, dependents: [cosmos, monitors.diagnosticSettings.cosmos!] },
      vault: {
        id: vault.vaultId,
        dependents: [vault, edgeSecrets, monitors.diagnosticSettings.kv!],
      },
    },
    artifacts: {
      id: ml.storageAccountId,
      accountName: ml.storageAccountName,
      dependents: [...ml.storageDependents, monitors.diagnosticSettings.artifacts!],
    },
    monthlyBudget: cfg.guardrails.monthlyBudget,
    costResourceGroups: [group.name, aks.nodeResourceGroup],
    now: new Date(),
  });
  if (pipeline) {
    grantPipelineAccess("pipeline", pipeline, {
      resourceGroupId: group.id,
      registryId: registry.registryId,
      mlWorkspaceId: ml.workspaceId,
      clusterId: aks.clusterId,
      trainingPrincipalId: identity.training.principalId,
      edge: tls && { certificateVaultId: tls.certificateVaultId, dnsZoneId: tls.dnsZoneId },
    });
  }

  // Off until the pipeline has pushed the images the deployments name (first deploy); the GARCH
  // service runs the same image, so it waits for the same.
  const servingNeeds = {
    registryName: names.registry,
    cosmosAccount: names.cosmosAccount,
    aks,
    identity,
    telemetry,
    tenantId: client.tenantId,
    edgeSecrets,
    // The vault component includes the serving identity's Key Vault Secrets User, which the
    // pods' secret mount needs.
    runtime: [...cosmos.dataPlaneReady, ...registry.pullGrants, telemetryPublisher, vault],
  };
  const prerequisites = cfg.serving.enabled ? servingPrerequisites(cfg, servingNeeds) : [];
  const serving = cfg.serving.enabled
    ? createServingStack(cfg, servingNeeds, prerequisites)
    : undefined;
  if (cfg.garch && cfg.serving.enabled) {
    createGarchPlatform(cfg, cfg.garch, servingNeeds, prerequisites);
  }

  return {
    resourceGroupName: group.name,
    acrLoginServer: registry.loginServer,
    clusterName: aks.clusterName,
    ingressHost: cfg.serving.host,
    publicUrl: publicUrl(cfg.serving),
    cosmosEndpoint: cosmos.endpoint,
    cosmosDatabase: cosmos.databaseName,
    keyVaultUri: vault.vaultUri,
    appInsightsConnectionString: telemetry.appInsightsConnectionString,
    mlWorkspaceName: ml.workspaceName,
    mlComputeName: ml.computeName,
    mlflowTrackingUri: ml.mlflowTrackingUri,
    servingClientId: identity.serving.clientId,
    trainingClientId: identity.training.clientId,
    prometheusQueryEndpoint: telemetry.prometheusQueryEndpoint,
    kubeconfig: aks.kubeconfig,
    servingNamespace: serving?.namespace,
    trafficSplit: serving?.trafficSplit,
    garchUrl: cfg.garch && garchUrl(cfg.serving, cfg.garch),
    pipeline:
      pipeline && runners
        ? {
            previewClientId: pipeline.preview.clientId,
            buildClientId: pipeline.build.clientId,
            deployClientId: pipeline.deploy.clientId,
            previewPrincipalId: pipeline.preview.principalId,
            deployPrincipalId: pipeline.deploy.principalId,
            runnerSubnetId: runners.subnetId,
            runnerEgressIp: runners.egressIp,
          }
        : undefined,
  };
}
