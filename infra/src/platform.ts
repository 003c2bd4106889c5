import { COSMOS_LAYOUT, parseServingConfig, SERVING_ENV } from "@mlops/contracts";
import {
  DEFAULT_HEALTH_PATHS,
  DEFAULT_SCALING,
  ServingStack,
  servingServiceAccounts,
} from "@mlops/k8s";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "./aks.js";
import type { StackConfig } from "./config.js";
import { CosmosStore, cosmosEndpoint } from "./cosmos.js";
import {
  createGarchPlatform,
  garchHealthCheckUrl,
  garchServiceAccounts,
} from "./garch-platform.js";
import { Identity } from "./identity.js";
import { MlWorkspace } from "./ml-workspace.js";
import { AKS_LOG_CATEGORIES, Monitors } from "./monitors.js";
import { azureNames } from "./names.js";
import { Network } from "./network.js";
import { grantPipelineAccess, PipelineIdentities } from "./pipeline-identities.js";
import type { PlatformTags } from "./placement.js";
import { Registry } from "./registry.js";
import { RunnerSubnet } from "./runner-subnet.js";
import { Telemetry } from "./telemetry.js";
import { withTelemetrySecret } from "./telemetry-secret.js";
import { Vault } from "./vault.js";

/** Name of the ServingStack component; its deployments and service accounts derive from it. */
const SERVING_STACK = "serving";

export { TELEMETRY_SECRET } from "./telemetry-secret.js";

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
  /** Public host of the GARCH volatility service; undefined on a stack without `garch` config. */
  garchHost?: string;
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
    alertEmails: cfg.alertEmails,
    alertWebhooks: cfg.alertWebhooks,
  });

  const net = new Network("network", {
    ...placement,
    ranges: cfg.network,
    privateNetworking: cfg.privateNetworking,
  });
  const privateLink = net.privateLink;

  const aks = new AksCluster("aks", {
    ...placement,
    clusterName: names.aksCluster,
    dnsPrefix: names.aksDnsPrefix,
    settings: cfg.aks,
    ranges: cfg.network,
    nodeSubnetId: net.aksSubnetId,
    monitoring: {
      monitorWorkspaceId: telemetry.monitorWorkspaceId,
      logAnalyticsWorkspaceId: telemetry.logAnalyticsWorkspaceId,
    },
  });

  const identity = new Identity("identity", {
    ...placement,
    oidcIssuerUrl: aks.oidcIssuerUrl,
    servingServiceAccounts: [
      ...servingServiceAccounts(SERVING_STACK, cfg.serving.namespace),
      ...garchServiceAccounts(cfg.garch),
    ],
    monitorWorkspaceId: telemetry.monitorWorkspaceId,
  });
  const workloads = {
    serving: identity.serving.principalId,
    training: identity.training.principalId,
  };
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
    secretReaders: workloads,
    privateLink,
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
            url: garchHealthCheckUrl(cfg.garch),
            description: "Health of the GARCH volatility service through its public route.",
          },
        ]
      : [],
    actionGroupId: telemetry.actionGroupId,
    healthCheckUrl: `http://${cfg.serving.host}${DEFAULT_HEALTH_PATHS.ready}`,
    diagnostics: {
      aks: { resourceId: aks.clusterId, categories: AKS_LOG_CATEGORIES },
      acr: { resourceId: registry.registryId },
      kv: { resourceId: vault.vaultId },
      cosmos: { resourceId: cosmos.accountId },
    },
  });

  const runners = pipeline
    ? new RunnerSubnet(
        "runners",
        { ...placement, vnetId: net.vnetId, addressPrefix: cfg.network.runnerSubnet },
        // After the platform's own subnets: Azure rejects concurrent writes to one VNet.
        { dependsOn: [net] },
      )
    : undefined;
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
    client.tenantId,
  );
  const garch = cfg.garch
    ? createGarchPlatform({
        garch: cfg.garch,
        provider: aks.provider,
        image: servingImage(cfg, names.registry),
        storeEnv: cloudStoreEnv(names.cosmosAccount),
        workloadIdentity: { clientId: identity.serving.clientId, tenantId: client.tenantId },
        appInsightsConnectionString: telemetry.appInsightsConnectionString,
        dependsOn: [aks],
      })
    : undefined;

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
    garchHost: garch?.host,
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

/** The serving image in the platform registry, at `tag`. */
function servingImage(cfg: StackConfig, registryName: string): (tag: string) => string {
  return (tag) => `${registryName}.azurecr.io/${cfg.serving.imageRepository}:${tag}`;
}

/** The serving config's store in the cloud: Cosmos DB, its endpoint fixed by the account name. */
function cloudStoreEnv(cosmosAccount: string): Record<string, string> {
  return {
    [SERVING_ENV.store]: "cosmos",
    [SERVING_ENV.cosmosEndpoint]: cosmosEndpoint(cosmosAccount),
    [SERVING_ENV.cosmosDatabase]: COSMOS_LAYOUT.defaultDatabase,
  };
}

/**
 * The serving plane on the cluster. The serving config is plain data (it renders into pod env),
 * so values that only exist after deployment are derived from the names this program chose:
 * the registry login server and the Cosmos endpoint are fixed by their account names. The App
 * Insights connection string is a secret output, so it reaches the pods through a Kubernetes
 * Secret instead of the config.
 */
function createServingStack(
  cfg: StackConfig,
  registryName: string,
  cosmosAccount: string,
  aks: AksCluster,
  identity: Identity,
  telemetry: Telemetry,
  tenantId: pulumi.Input<string>,
): ServingStack {
  const s = cfg.serving;
  const servingConfig = parseServingConfig({
    ...cloudStoreEnv(cosmosAccount),
    [SERVING_ENV.championModel]: s.championModel,
    [SERVING_ENV.challengerModel]: s.challengerModel,
    [SERVING_ENV.experimentId]: s.experimentId,
  });
  const image = servingImage(cfg, registryName);
  const scaling = {
    ...DEFAULT_SCALING,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    targetRequestsPerSecond: s.targetRequestsPerSecond,
  };
  return withTelemetrySecret(
    SERVING_STACK,
    aks.provider,
    telemetry.appInsightsConnectionString,
    (secretEnv) =>
      new ServingStack(
        SERVING_STACK,
        {
          provider: aks.provider,
          namespace: s.namespace,
          servingConfig,
          secretEnv,
          champion: { image: image(s.championImageTag), scaling },
          challenger: { image: image(s.challengerImageTag), scaling },
          canary: { rules: [{ host: s.host, path: "/" }], weight: s.canaryWeight },
          workloadIdentity: { clientId: identity.serving.clientId, tenantId },
          prometheus: {
            serverAddress: telemetry.prometheusQueryEndpoint,
            identityClientId: identity.autoscaler.clientId,
          },
          scrapedNamespaces: cfg.garch ? [cfg.garch.namespace] : [],
        },
        { dependsOn: [aks] },
      ),
  );
}
