import {
  COSMOS_LAYOUT,
  PUBLIC_PATH_PREFIXES,
  parseServingConfig,
  SERVING_ENV,
} from "@mlops/contracts";
import {
  DEFAULT_HEALTH_PATHS,
  DEFAULT_SCALING,
  ServingStack,
  servingServiceAccounts,
} from "@mlops/k8s";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "./aks.js";
import type { StackConfig } from "./config.js";
import { CosmosStore, cosmosEndpoint } from "./cosmos.js";
import { EdgeSecrets, edgeServingEnv } from "./edge-auth.js";
import { Guardrails } from "./guardrails.js";
import { Identity } from "./identity.js";
import { MlWorkspace } from "./ml-workspace.js";
import {
  AKS_LOG_CATEGORIES,
  ARTIFACT_BLOB_LOG_CATEGORIES,
  BLOB_METRIC_CATEGORIES,
  ML_WORKSPACE_LOG_CATEGORIES,
  Monitors,
} from "./monitors.js";
import { azureNames } from "./names.js";
import { Network } from "./network.js";
import { grantPipelineAccess, PipelineIdentities } from "./pipeline-identities.js";
import type { PlatformTags } from "./placement.js";
import { Registry } from "./registry.js";
import { grantRole } from "./roles.js";
import { RunnerSubnet } from "./runner-subnet.js";
import { Telemetry } from "./telemetry.js";
import { Vault } from "./vault.js";

/** Name of the ServingStack component; its deployments and service accounts derive from it. */
const SERVING_STACK = "serving";

/** What the pipeline reads from the stack after `pulumi up`. */
export interface PlatformOutputs {
  resourceGroupName: pulumi.Output<string>;
  acrLoginServer: pulumi.Output<string>;
  clusterName: pulumi.Output<string>;
  ingressHost: string;
  cosmosEndpoint: pulumi.Output<string>;
  cosmosDatabase: pulumi.Output<string>;
  keyVaultUri: pulumi.Output<string>;
  appInsightsConnectionString: pulumi.Output<string>;
  mlWorkspaceName: pulumi.Output<string>;
  mlComputeName: pulumi.Output<string>;
  servingClientId: pulumi.Output<string>;
  trainingClientId: pulumi.Output<string>;
  prometheusQueryEndpoint: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  servingNamespace: pulumi.Output<string>;
  canaryIngress: pulumi.Output<string>;
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
  const names = azureNames(project, stack);
  const tags: PlatformTags = { project, environment: cfg.environment, owner: cfg.owner };
  const client = authorization.getClientConfigOutput();

  const group = new resources.ResourceGroup("platform", { location: cfg.location, tags });
  const placement = { resourceGroupName: group.name, location: cfg.location, tags };

  const telemetry = new Telemetry("telemetry", {
    ...placement,
    retentionInDays: cfg.logRetentionDays,
    dailyQuotaGb: cfg.guardrails.logDailyCapGb,
    alertEmails: cfg.alertEmails,
  });

  const net = new Network("network", {
    ...placement,
    ranges: cfg.network,
    privateNetworking: cfg.privateNetworking,
  });
  const privateLink = net.privateLink;

  const runners = cfg.pipeline
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
    settings: cfg.aks,
    ranges: cfg.network,
    nodeSubnetId: net.aksSubnetId,
    apiServer: cfg.apiServer,
    // The runners deploy through the API server from their NAT address, created here.
    ownEgressIps: runners ? [runners.egressIp] : [],
    monitoring: {
      monitorWorkspaceId: telemetry.monitorWorkspaceId,
      logAnalyticsWorkspaceId: telemetry.logAnalyticsWorkspaceId,
    },
  });

  const identity = new Identity("identity", {
    ...placement,
    oidcIssuerUrl: aks.oidcIssuerUrl,
    servingServiceAccounts: servingServiceAccounts(SERVING_STACK, cfg.serving.namespace),
    monitorWorkspaceId: telemetry.monitorWorkspaceId,
  });
  const workloads = {
    serving: identity.serving.principalId,
    training: identity.training.principalId,
  };
  // The serving pods send telemetry with their own token (the component takes no other).
  const telemetryPublisher = grantRole(
    "telemetry-publisher-serving",
    {
      scope: telemetry.appInsightsId,
      principalId: identity.serving.principalId,
      role: "monitoringMetricsPublisher",
      principalType: "ServicePrincipal",
    },
    {},
  );
  const pipeline = cfg.pipeline
    ? new PipelineIdentities("pipeline", { ...placement, pipeline: cfg.pipeline })
    : undefined;

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
    // The deploy jobs' smoke test reads an API key and a canary token from the vault.
    secretReaders: { ...workloads, ...(pipeline && { deploy: pipeline.deploy.principalId }) },
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
    privateLink,
  });

  new Monitors("monitors", {
    ...placement,
    logAnalyticsWorkspaceId: telemetry.logAnalyticsWorkspaceId,
    appInsightsId: telemetry.appInsightsId,
    monitorWorkspaceId: telemetry.monitorWorkspaceId,
    clusterName: aks.clusterName,
    actionGroupId: telemetry.actionGroupId,
    healthCheckUrl: `http://${cfg.serving.host}${DEFAULT_HEALTH_PATHS.ready}`,
    diagnostics: {
      aks: { resourceId: aks.clusterId, categories: AKS_LOG_CATEGORIES },
      acr: { resourceId: registry.registryId },
      kv: { resourceId: vault.vaultId },
      cosmos: { resourceId: cosmos.accountId },
      artifacts: {
        resourceId: pulumi.interpolate`${ml.storageAccountId}/blobServices/default`,
        categories: ARTIFACT_BLOB_LOG_CATEGORIES,
        metrics: BLOB_METRIC_CATEGORIES,
      },
      ml: { resourceId: ml.workspaceId, categories: ML_WORKSPACE_LOG_CATEGORIES },
    },
  });

  new Guardrails("guardrails", {
    resourceGroupName: group.name,
    subscriptionId: client.subscriptionId,
    stackLabel: `${project}-${stack}`,
    logAnalyticsWorkspaceId: telemetry.logAnalyticsWorkspaceId,
    actionGroupId: telemetry.actionGroupId,
    locked: { cosmos: cosmos.accountId, vault: vault.vaultId, artifacts: ml.storageAccountId },
    artifactStorageAccountName: ml.storageAccountName,
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
    });
  }

  const serving = createServingStack(
    cfg,
    names.registry,
    names.cosmosAccount,
    aks,
    identity,
    telemetry,
    edgeSecrets,
    [telemetryPublisher],
  );

  return {
    resourceGroupName: group.name,
    acrLoginServer: registry.loginServer,
    clusterName: aks.clusterName,
    ingressHost: cfg.serving.host,
    cosmosEndpoint: cosmos.endpoint,
    cosmosDatabase: cosmos.databaseName,
    keyVaultUri: vault.vaultUri,
    appInsightsConnectionString: telemetry.appInsightsConnectionString,
    mlWorkspaceName: ml.workspaceName,
    mlComputeName: ml.computeName,
    servingClientId: identity.serving.clientId,
    trainingClientId: identity.training.clientId,
    prometheusQueryEndpoint: telemetry.prometheusQueryEndpoint,
    kubeconfig: aks.kubeconfig,
    servingNamespace: serving.namespace,
    canaryIngress: serving.canaryIngress,
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

/**
 * The serving plane on the cluster. The serving config is plain data (it renders into pod env),
 * so values that only exist after deployment are derived from the names this program chose:
 * the registry login server and the Cosmos endpoint are fixed by their account names. The App
 * Insights connection string is an output but no secret, so it rides as a plain env value
 * (`deployedEnv`); the pods authenticate their telemetry with their workload identity.
 */
function createServingStack(
  cfg: StackConfig,
  registryName: string,
  cosmosAccount: string,
  aks: AksCluster,
  identity: Identity,
  telemetry: Telemetry,
  edgeSecrets: EdgeSecrets,
  grants: readonly pulumi.Resource[],
): ServingStack {
  const s = cfg.serving;
  const servingConfig = parseServingConfig({
    [SERVING_ENV.store]: "cosmos",
    [SERVING_ENV.cosmosEndpoint]: cosmosEndpoint(cosmosAccount),
    [SERVING_ENV.cosmosDatabase]: COSMOS_LAYOUT.defaultDatabase,
    [SERVING_ENV.championModel]: s.championModel,
    [SERVING_ENV.challengerModel]: s.challengerModel,
    [SERVING_ENV.experimentId]: s.experimentId,
    [SERVING_ENV.telemetryAuth]: "entra",
    ...edgeServingEnv(cfg.edgeAuth),
  });
  const image = (tag: string) => `${registryName}.azurecr.io/${s.imageRepository}:${tag}`;
  const scaling = {
    ...DEFAULT_SCALING,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    targetRequestsPerSecond: s.targetRequestsPerSecond,
  };
  return new ServingStack(
    SERVING_STACK,
    {
      provider: aks.provider,
      namespace: s.namespace,
      servingConfig,
      deployedEnv: { [SERVING_ENV.appInsights]: telemetry.appInsightsConnectionString },
      champion: { image: image(s.championImageTag), scaling },
      challenger: { image: image(s.challengerImageTag), scaling },
      // The public route publishes the public paths only (operational ones stay in the cluster).
      canary: {
        rules: PUBLIC_PATH_PREFIXES.map((path) => ({ host: s.host, path })),
        weight: s.canaryWeight,
      },
      keyVaultSecrets: edgeSecrets.mount,
      workloadIdentity: {
        clientId: identity.serving.clientId,
        tenantId: edgeSecrets.mount.tenantId,
      },
      prometheus: {
        serverAddress: telemetry.prometheusQueryEndpoint,
        identityClientId: identity.autoscaler.clientId,
      },
    },
    // Pods that start before their identity may publish would drop their first telemetry.
    { dependsOn: [aks, ...grants] },
  );
}
