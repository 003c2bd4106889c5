import { installMocks } from "@mlops/k8s/test-support";
import type * as pulumi from "@pulumi/pulumi";

/**
 * What Azure would answer the whole program, for the workspace's one mocks harness
 * (`@mlops/k8s/test-support`): every output the program reads is given a value here; an output
 * missing from the mock state would stay unknown and its `.apply` would never run.
 */

export const PROJECT = "mlops-platform";
export const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
export const TENANT = "00000000-0000-0000-0000-0000000000aa";
export const DEPLOYER_OBJECT_ID = "00000000-0000-0000-0000-0000000000dd";
export const OIDC_ISSUER = "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/";
export const KUBECONFIG =
  "apiVersion: v1\nkind: Config\nusers:\n- name: clusterUser\n  user:\n    exec:\n      command: kubelogin\n";

/**
 * `provider:module:Type` → `Microsoft.Module/types`-ish id segment, enough to look like an id; a
 * generic resource gets the id of what it declares.
 */
function resourceId(type: string, name: string, inputs: Record<string, unknown>): string {
  const group = `/subscriptions/${SUBSCRIPTION}/resourceGroups/platform/providers`;
  if (type === GENERIC_RESOURCE) {
    return `${group}/${inputs.resourceProviderNamespace}/${inputs.resourceType}/${inputs.resourceName}`;
  }
  const [, module, kind] = type.split(":");
  return `${group}/Microsoft.${module}/${kind}/${name}`;
}

/** The provider's generic resource (the AKS cluster, at its pinned API version). */
const GENERIC_RESOURCE = "azure-native:resources:Resource";

/** Outputs Azure computes that the program reads, per type token. */
export function computedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  switch (type) {
    case GENERIC_RESOURCE:
      return inputs.resourceType === "managedClusters"
        ? {
            properties: {
              ...(inputs.properties as object),
              oidcIssuerProfile: { enabled: true, issuerURL: OIDC_ISSUER },
              identityProfile: { kubeletidentity: { objectId: `${name}-kubelet-object-id` } },
              ingressProfile: {
                ...((inputs.properties as { ingressProfile: object }).ingressProfile ?? {}),
                webAppRouting: {
                  ...(inputs.properties as { ingressProfile: { webAppRouting: object } })
                    .ingressProfile.webAppRouting,
                  identity: { objectId: `${name}-app-routing-object-id` },
                },
              },
            },
          }
        : {};
    case "azure-native:managedidentity:UserAssignedIdentity":
      return { clientId: `${name}-client-id`, principalId: `${name}-principal-id` };
    case "azure-native:containerregistry:Registry":
      return { loginServer: `${inputs.registryName}.azurecr.io` };
    case "azure-native:keyvault:Vault":
      return {
        properties: {
          ...(inputs.properties as object),
          vaultUri: `https://${inputs.vaultName}.vault.azure.net/`,
        },
      };
    case "azure-native:machinelearningservices:Workspace":
      return {
        mlFlowTrackingUri: `azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/${SUBSCRIPTION}/resourceGroups/platform/providers/Microsoft.MachineLearningServices/workspaces/${inputs.workspaceName}`,
      };
    case "azure-native:cosmosdb:DatabaseAccount":
      return { documentEndpoint: `https://${inputs.accountName}.documents.azure.com:443/` };
    case "azure-native:monitor:AzureMonitorWorkspace":
      return {
        metrics: {
          prometheusQueryEndpoint: `https://${name}.westeurope.prometheus.monitor.azure.com`,
        },
      };
    case "azure-native:applicationinsights:Component":
      return {
        connectionString:
          "InstrumentationKey=00000000-0000-0000-0000-00000000a1a1;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
      };
    default:
      return {};
  }
}

/** Inputs that carry a resource's own Azure name, most specific first. */
const NAME_INPUTS = [
  "containerName",
  "databaseName",
  "computeName",
  "registryName",
  "vaultName",
  "accountName",
  "resourceName",
  "privateZoneName",
];

/** The Azure name a resource's inputs set explicitly, else its logical name. */
function azureName(type: string, inputs: Record<string, unknown>, name: string): string {
  // `workspaceName` names the workspace itself but only points at the parent of a Compute.
  if (type === "azure-native:machinelearningservices:Workspace")
    return inputs.workspaceName as string;
  const key = NAME_INPUTS.find((k) => typeof inputs[k] === "string");
  return key ? (inputs[key] as string) : name;
}

/** Routes this process's resource registrations and invokes to Azure-shaped mocks, as `stack`. */
export function installAzureMocks(stack: string): void {
  installMocks({
    project: PROJECT,
    stack,
    resource(args: pulumi.runtime.MockResourceArgs) {
      const inputs = args.inputs as Record<string, unknown>;
      const id = resourceId(args.type, args.name, inputs);
      const name = azureName(args.type, inputs, args.name);
      return {
        id,
        state: { ...inputs, name, id, ...computedOutputs(args.type, args.name, inputs) },
      };
    },
    call(args: pulumi.runtime.MockCallArgs) {
      switch (args.token) {
        case "azure-native:authorization:getClientConfig":
          return {
            clientId: "deployer-client-id",
            objectId: DEPLOYER_OBJECT_ID,
            subscriptionId: SUBSCRIPTION,
            tenantId: TENANT,
          };
        case "azure-native:containerservice:listManagedClusterUserCredentials":
          return {
            kubeconfigs: [
              { name: "clusterUser", value: Buffer.from(KUBECONFIG).toString("base64") },
            ],
          };
        default:
          throw new Error(`unmocked call ${args.token}`);
      }
    },
  });
}
