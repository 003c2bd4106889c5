import {
  AB_VARIANT_ACCURACY,
  COSMOS_LAYOUT,
  PREDICTION_LOG_DROPPED,
  PREDICTION_LOG_WRITE_FAILURES,
  parseServingConfig,
  SERVING_ENV,
} from "@mlops/contracts";
import { registered } from "@mlops/k8s/test-support";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { stackViolations, violations } from "../policy/rules.js";
import { clusterAdminGrant, deployClusterAdminGrant } from "../test-support/access-grants.js";
import {
  computedOutputs,
  DEPLOYER_OBJECT_ID,
  KUBECONFIG,
  OIDC_ISSUER,
  PROJECT,
} from "../test-support/azure-mocks.js";
import { ofType, one, policyResources, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";

/** The cluster inputs the assertions read. */
interface ClusterProps {
  agentPoolProfiles: {
    mode: string;
    availabilityZones: string[];
    enableAutoScaling: boolean;
    minCount: number;
    maxCount: number;
  }[];
  networkProfile: unknown;
  workloadAutoScalerProfile: unknown;
  azureMonitorProfile: { metrics: { enabled: boolean } };
  addonProfiles: { omsagent: { enabled: boolean } };
  ingressProfile: unknown;
  autoUpgradeProfile: unknown;
}

/** A container env entry as the Deployment carries it. */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** The outputs the mocked App Insights component reports. */
const computedAppInsights = computedOutputs("azure-native:applicationinsights:Component", "", {});

/** The compute inputs the assertions read. */
interface ComputeProps {
  properties: { properties: { scaleSettings: unknown; subnet: { id: string } } };
}

const run = renderBeforeAll("prod", stackFileConfig());

describe("the prod program under mocks", () => {
  it("creates every resource the platform needs", () => {
    const counts = new Map<string, number>();
    for (const r of registered) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const inventory = [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, count]) => ({ type, count }));
    console.table(inventory);

    const expected: Record<string, number> = {
      "azure-native:resources:ResourceGroup": 1,
      "azure-native:network:VirtualNetwork": 1,
      // aks, ml, endpoints and the pipeline runners
      "azure-native:network:Subnet": 4,
      "azure-native:network:NetworkSecurityGroup": 4,
      // the platform's egress (aks, ml) and the runners'
      "azure-native:network:NatGateway": 2,
      "azure-native:network:PublicIPAddress": 2,
      // one per zone; the workspace needs two
      "azure-native:privatedns:PrivateZone": 7,
      "azure-native:privatedns:VirtualNetworkLink": 7,
      // registry, vault, cosmos, storage blob + file, ML workspace
      "azure-native:network:PrivateEndpoint": 6,
      "azure-native:network:PrivateDnsZoneGroup": 6,
      "azure-native:containerregistry:Registry": 1,
      // the AKS cluster, at its pinned ManagedCluster API version
      "azure-native:resources:Resource": 1,
      // control plane, serving, training, KEDA, the gateways' edge; pipeline preview, build, deploy
      "azure-native:managedidentity:UserAssignedIdentity": 8,
      // serving champion + challenger, the GARCH service, KEDA operator, the two gateways' edge;
      // one GitHub subject per
      // pipeline identity
      "azure-native:managedidentity:FederatedIdentityCredential": 9,
      "azure-native:authorization:RoleDefinition": 1,
      "azure-native:machinelearningservices:Workspace": 1,
      "azure-native:machinelearningservices:Compute": 1,
      "azure-native:storage:StorageAccount": 1,
      "azure-native:cosmosdb:DatabaseAccount": 1,
      "azure-native:cosmosdb:SqlResourceSqlDatabase": 1,
      "azure-native:cosmosdb:SqlResourceSqlContainer": Object.keys(COSMOS_LAYOUT.containers).length,
      // serving, training; the pipeline's build and deploy jobs
      "azure-native:cosmosdb:SqlResourceSqlRoleAssignment": 4,
      // each of those waits for its principal to replicate (pulumi-azure-native#2816)
      "time:index/sleep:Sleep": 4,
      "azure-native:keyvault:Vault": 1,
      "azure-native:operationalinsights:Workspace": 1,
      "azure-native:applicationinsights:Component": 1,
      // the prediction API's readiness and the GARCH service's /health
      "azure-native:applicationinsights:WebTest": 2,
      "azure-native:monitor:AzureMonitorWorkspace": 1,
      "azure-native:monitor:DataCollectionEndpoint": 1,
      "azure-native:monitor:DataCollectionRule": 2,
      "azure-native:monitor:DataCollectionRuleAssociation": 3,
      "azure-native:monitor:ActionGroup": 1,
      // the 5xx rate, the Log Analytics daily cap, failed health checks
      "azure-native:monitor:ScheduledQueryRule": 3,
      // two web tests' availability, node CPU, node memory
      "azure-native:monitor:MetricAlert": 4,
      "azure-native:operationalinsights:SavedSearch": 3,
      "azure-native:alertsmanagement:PrometheusRuleGroup": 1,
      // AKS, registry, vault, Cosmos DB, artifact blobs, ML workspace
      "azure-native:monitor:DiagnosticSetting": 6,
      "azure-native:portal:Dashboard": 1,
      "pulumi:providers:kubernetes": 1,
      // read, never written: KEDA's two, Gateway API's two, app routing's DNS, the CSI driver's
      "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": 6,
      "mlops:k8s:AddonCrds": 1,
      "mlops:k8s:ServingStack": 1,
      "mlops:k8s:GarchService": 1,
      // the prediction API's split and the GARCH service's route
      "mlops:k8s:GatewayRoute": 2,
    };
    expect(Object.fromEntries([...counts].filter(([t]) => t in expected))).toEqual(expected);
  });

  it("breaks none of the policies", () => {
    expect(violations(policyResources())).toEqual([]);
    expect(stackViolations(policyResources())).toEqual([]);
  });

  it("exports the outputs the pipeline reads, credentials only as secrets", async () => {
    expect(run.outputs).toMatchObject({
      acrLoginServer: expect.stringMatching(/^[a-z0-9]+\.azurecr\.io$/),
      clusterName: expect.stringMatching(/^aks-prod-/),
      cosmosEndpoint: expect.stringMatching(
        /^https:\/\/cosmos-prod-[0-9a-f]{8}\.documents\.azure\.com:443\/$/,
      ),
      cosmosDatabase: COSMOS_LAYOUT.defaultDatabase,
      keyVaultUri: expect.stringMatching(/^https:\/\/kv-prod-[0-9a-f]{8}\.vault\.azure\.net\/$/),
      mlWorkspaceName: expect.stringMatching(/^mlw-prod-/),
      // What `mlops train --target azureml` needs to track to the workspace (MLFLOW_TRACKING_URI).
      mlflowTrackingUri: expect.stringMatching(/^azureml:\/\/.+\/workspaces\/mlw-prod-/),
      kubeconfig: KUBECONFIG,
    });
    expect(await pulumi.isSecret(run.program.kubeconfig)).toBe(true);
    expect(await pulumi.isSecret(run.program.appInsightsConnectionString)).toBe(false);
    expect(await pulumi.isSecret(run.program.acrLoginServer)).toBe(false);
    expect(run.program.ingressHost).toBe("predict.mlops.contoso.com");
  });

  it("grants each built-in role on the one resource that needs it", () => {
    const grants = ofType("azure-native:authorization:RoleAssignment").map((r) => ({
      name: r.name,
      role: String(r.inputs.roleDefinitionId).split("/").pop(),
      scope: String(r.inputs.scope).split("/").slice(-2).join("/"),
    }));
    expect(grants).toEqual(
      expect.arrayContaining([
        {
          name: "registry-pull-kubelet",
          role: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
          scope: "Registry/registry-acr",
        },
        {
          name: "edge-certificate-reader",
          role: "4633458b-17de-408a-b874-0445c86b69e6",
          scope: "vaults/kv-contoso-certs",
        },
        {
          name: "edge-dns-writer",
          role: "befefa01-2a29-4197-83a8-272ff33ce314",
          scope: "dnszones/mlops.contoso.com",
        },
        {
          name: "aks-control-plane-subnet",
          role: "4d97b98b-1d4f-4787-a291-c67834d212e7",
          scope: "Subnet/network-aks",
        },
        {
          name: "identity-autoscaler-prometheus-reader",
          role: "b0d8363b-8ddd-447d-831f-62ca05bff136",
          scope: "AzureMonitorWorkspace/telemetry-prometheus",
        },
        {
          name: "aks-caller-admin",
          role: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
          scope: expect.stringMatching(/^managedClusters\/aks-prod-[0-9a-f]{8}$/),
        },
      ]),
    );
    expect(
      one("azure-native:authorization:RoleAssignment", "aks-caller-admin").inputs.principalId,
    ).toBe(DEPLOYER_OBJECT_ID);
    // The pipeline's runs declare the same (cluster-admins.test.ts): no switch replaces it.
    expect(clusterAdminGrant("aks-pipeline-deploy-admin")).toEqual(deployClusterAdminGrant());
    const cosmos = one(
      "azure-native:cosmosdb:SqlResourceSqlRoleAssignment",
      "cosmos-data-serving",
    ).inputs;
    expect(cosmos.principalId).toBe("identity-serving-principal-id");
    expect(cosmos.roleDefinitionId).toMatch(
      /\/sqlRoleDefinitions\/00000000-0000-0000-0000-000000000002$/,
    );
    expect(cosmos.scope).toMatch(new RegExp(`/dbs/${COSMOS_LAYOUT.defaultDatabase}$`));
  });

  it("federates exactly the ServiceAccounts the serving stack creates", () => {
    const created = ofType("kubernetes:core/v1:ServiceAccount").map((r) => {
      const { namespace, name } = r.inputs.metadata as { namespace: string; name: string };
      return `system:serviceaccount:${namespace}:${name}`;
    });
    // champion, challenger, the GARCH service, and the two gateways' edge
    expect(created).toHaveLength(5);
    const subjects = ofType("azure-native:managedidentity:FederatedIdentityCredential")
      .filter((r) => r.name.startsWith("identity-serving-"))
      .map((r) => r.inputs.subject);
    expect(subjects.sort()).toEqual(
      created.filter((s) => !/^system:serviceaccount:[a-z-]+-gateway:/.test(s)).sort(),
    );
    const edge = ofType("azure-native:managedidentity:FederatedIdentityCredential").filter((r) =>
      r.name.startsWith("identity-edge-"),
    );
    expect(edge.map((r) => r.inputs.subject).sort()).toEqual(
      created.filter((s) => /^system:serviceaccount:[a-z-]+-gateway:/.test(s)).sort(),
    );
  });

  it("federates the serving and KEDA service accounts with the cluster's issuer", () => {
    const creds = ofType("azure-native:managedidentity:FederatedIdentityCredential")
      .map((r) => r.inputs)
      .filter((c) => String(c.subject).startsWith("system:serviceaccount:"));
    expect(creds.map((c) => c.subject).sort()).toEqual([
      "system:serviceaccount:garch-gateway:garch-route-edge",
      "system:serviceaccount:garch:garch",
      "system:serviceaccount:kube-system:keda-operator",
      "system:serviceaccount:serving-gateway:serving-ingress-edge",
      "system:serviceaccount:serving:serving-challenger",
      "system:serviceaccount:serving:serving-champion",
    ]);
    for (const c of creds) {
      expect(c.issuer).toBe(OIDC_ISSUER);
      expect(c.audiences).toEqual(["api://AzureADTokenExchange"]);
    }
  });

  describe("App Insights on the pods", () => {
    const connectionString = () => computedAppInsights.connectionString as string;

    it("hands every serving pod the connection string as a plain value, with Entra auth, parsed by the serving config", () => {
      const deployments = ofType("kubernetes:apps/v1:Deployment");
      // champion, challenger, the GARCH service: none reads a Secret for telemetry.
      expect(deployments).toHaveLength(3);
      expect(ofType("kubernetes:core/v1:Secret")).toEqual([]);
      for (const d of deployments) {
        const env = (
          d.inputs as {
            spec: { template: { spec: { containers: { env: EnvVar[] }[] } } };
          }
        ).spec.template.spec.containers[0].env;
        expect(env.filter((e) => e.name === SERVING_ENV.appInsights)).toEqual([
          { name: SERVING_ENV.appInsights, value: connectionString() },
        ]);
        expect(env.every((e) => e.valueFrom === undefined)).toBe(true);
        const config = parseServingConfig(
          Object.fromEntries(env.map((e) => [e.name, e.value as string])),
        );
        expect(config.appInsights).toMatchObject({
          connectionString: connectionString(),
          auth: "entra",
        });
        expect(config.store.kind).toBe("cosmos");
      }
    });
  });

  it("builds the cluster with zoned autoscaled pools, overlay CNI, KEDA, Prometheus, Insights and app routing", () => {
    const cluster = one("azure-native:resources:Resource", "aks-cluster").inputs;
    expect(cluster).toMatchObject({
      apiVersion: "2026-02-01",
      resourceProviderNamespace: "Microsoft.ContainerService",
      resourceType: "managedClusters",
    });
    const aks = cluster.properties as ClusterProps;
    // AKS's own node resource group name fits its 80 characters here, so none is asked for
    // (names.ts, nodeResourceGroupName; platform-long-stack.test.ts has the other case).
    expect(cluster.properties).not.toHaveProperty("nodeResourceGroup");
    expect(
      aks.agentPoolProfiles.map((p) => [
        p.mode,
        p.availabilityZones,
        p.enableAutoScaling,
        p.minCount,
        p.maxCount,
      ]),
    ).toEqual([
      ["System", ["1", "2", "3"], true, 3, 5],
      ["User", ["1", "2", "3"], true, 3, 12],
    ]);
    expect(aks.networkProfile).toMatchObject({
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkPolicy: "cilium",
    });
    expect(aks.workloadAutoScalerProfile).toEqual({ keda: { enabled: true } });
    expect(aks.azureMonitorProfile.metrics.enabled).toBe(true);
    expect(aks.addonProfiles.omsagent.enabled).toBe(true);
    expect(aks.ingressProfile).toEqual({
      gatewayAPI: { installation: "Standard" },
      webAppRouting: {
        enabled: true,
        dnsZoneResourceIds: [],
        nginx: { defaultIngressControllerType: "None" },
        gatewayAPIImplementations: { appRoutingIstio: { mode: "Enabled" } },
      },
    });
    expect(aks.autoUpgradeProfile).toEqual({
      upgradeChannel: "stable",
      nodeOSUpgradeChannel: "NodeImage",
    });
  });

  it("links the ML workspace to its storage, vault, App Insights and registry, with a compute cluster that idles to zero", () => {
    const ws = one("azure-native:machinelearningservices:Workspace", "ml-workspace").inputs;
    expect(ws.identity).toEqual({ type: "SystemAssigned" });
    for (const link of ["storageAccount", "keyVault", "applicationInsights", "containerRegistry"]) {
      expect(ws[link]).toMatch(/^\/subscriptions\//);
    }
    const compute = one("azure-native:machinelearningservices:Compute", "ml-compute")
      .inputs as unknown as ComputeProps;
    expect(compute.properties.properties.scaleSettings).toEqual({
      minNodeCount: 0,
      maxNodeCount: 8,
      nodeIdleTimeBeforeScaleDown: "PT15M",
    });
    expect(compute.properties.properties.subnet.id).toMatch(/Subnet\/network-ml$/);
  });

  it("alerts on a drop in A/B accuracy from the gauge the API exports", () => {
    const [group] = ofType("azure-native:alertsmanagement:PrometheusRuleGroup");
    const rules = (group!.inputs as { rules: { alert: string; expression: string }[] }).rules;
    const accuracy = rules.find((r) => r.alert === "ModelAccuracyDrop");
    expect(accuracy?.expression).toContain(`avg_over_time(${AB_VARIANT_ACCURACY.name}[7d])`);
    expect(rules.map((r) => r.alert)).toEqual([
      "PredictionLatencyP95High",
      "PredictionVolumeDrop",
      "ModelAccuracyDrop",
      "PredictionLogFailing",
    ]);
  });

  it("alerts when the prediction log fails to reach the store (readiness does not ask it)", () => {
    const [group] = ofType("azure-native:alertsmanagement:PrometheusRuleGroup");
    const rules = (group!.inputs as { rules: { alert: string; expression: string }[] }).rules;
    const log = rules.find((r) => r.alert === "PredictionLogFailing");
    expect(log?.expression).toContain(`increase(${PREDICTION_LOG_WRITE_FAILURES.name}[10m])`);
    expect(log?.expression).toContain(`increase(${PREDICTION_LOG_DROPPED.name}[10m])`);
  });

  it("provisions the store's containers from the contracts layout, with TTL on prediction logs", () => {
    const containers = ofType("azure-native:cosmosdb:SqlResourceSqlContainer").map(
      (r) => (r.inputs as { resource: { id: string; defaultTtl?: number } }).resource,
    );
    const expected = Object.values(COSMOS_LAYOUT.containers).map((c) => ({
      id: c.id,
      partitionKey: { paths: [c.partitionKeyPath], kind: "Hash", version: 2 },
      ...("defaultTtlSeconds" in c ? { defaultTtl: c.defaultTtlSeconds } : {}),
    }));
    expect(containers).toEqual(expected);
    expect(
      containers.find((c) => c.id === COSMOS_LAYOUT.containers.predictions.id)?.defaultTtl,
    ).toBeGreaterThan(0);
    const db = one("azure-native:cosmosdb:SqlResourceSqlDatabase", "cosmos-db").inputs;
    expect(db.options).toEqual({ autoscaleSettings: { maxThroughput: 4000 } });
  });

  it("hands the k8s provider the cluster's kubeconfig and tags every resource with the project", () => {
    const provider = one("pulumi:providers:kubernetes", "aks-k8s").inputs;
    // Inputs that are secrets reach the engine wrapped as secrets, so state never holds them in clear.
    expect(provider.kubeconfig).toEqual({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: KUBECONFIG,
    });
    const group = one("azure-native:resources:ResourceGroup", "platform").inputs;
    expect(group.tags).toEqual({
      project: PROJECT,
      environment: "prod",
      owner: "ml-platform-team",
    });
  });
});
