import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi mocks for the whole program. Call `installMocks` before anything that creates resources:
 * `setMocks` must run before the program is evaluated. Every output the program reads is given a
 * value here; an output missing from the mock state would stay unknown and its `.apply` would
 * never run.
 */

/** One resource the program registered, as the engine would see its inputs. */
export interface CapturedResource {
  /** Type token, e.g. `azure-native:keyvault:Vault`. */
  type: string;
  /** Logical (Pulumi) name. */
  name: string;
  /** Inputs as registered; secret values keep Pulumi's secret wrapper. */
  props: Record<string, unknown>;
  /**
   * `type::name` of every resource this one waits for: explicit `dependsOn` and the resources
   * whose outputs its inputs read, as the engine (and so a policy pack) sees them. Filled in once
   * they resolve; `dependenciesSettled` waits for that.
   */
  dependencies: string[];
}

export const PROJECT = "mlops-platform";
export const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
export const TENANT = "00000000-0000-0000-0000-0000000000aa";
export const DEPLOYER_OBJECT_ID = "00000000-0000-0000-0000-0000000000dd";
/** The address Azure gives the runners' NAT gateway. */
export const RUNNER_EGRESS_IP = "20.61.7.42";
export const OIDC_ISSUER = "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/";
export const KUBECONFIG =
  "apiVersion: v1\nkind: Config\nusers:\n- name: clusterUser\n  user:\n    exec:\n      command: kubelogin\n";

/** Everything registered so far, in order. */
export const captured: CapturedResource[] = [];

/** The resources an input value reads outputs of, found by walking it. */
async function outputResources(
  value: unknown,
  seen = new Set<unknown>(),
): Promise<pulumi.Resource[]> {
  if (value === null || typeof value !== "object" || seen.has(value)) return [];
  seen.add(value);
  if (pulumi.Resource.isInstance(value)) return [value];
  if (pulumi.Output.isInstance(value)) {
    // The SDK's own dependency set of an Output: what it sends the engine as dependencies.
    const output = value as unknown as { allResources(): Promise<Set<pulumi.Resource>> };
    return [...(await output.allResources())];
  }
  const nested = await Promise.all(Object.values(value).map((v) => outputResources(v, seen)));
  return nested.flat();
}

/** `type::name` of each resource registered through the wrapper below. */
const resourceKeys = new WeakMap<pulumi.Resource, string>();
/** Dependencies per registered `type::name`, resolving to their keys. */
const dependenciesByResource = new Map<string, Promise<string[]>>();

/**
 * Mocks see inputs but not resource options, and policies need dependencies. The SDK registers
 * every resource through this CommonJS export, so wrapping it records them per resource before
 * the mock monitor is asked.
 */
const runtimeResource = createRequire(import.meta.url)("@pulumi/pulumi/runtime/resource") as {
  registerResource: (...args: unknown[]) => unknown;
};
const register = runtimeResource.registerResource;
runtimeResource.registerResource = (...args: unknown[]) => {
  const [res, , type, name, , , , props, opts] = args as [
    pulumi.Resource,
    unknown,
    string,
    string,
    unknown,
    unknown,
    unknown,
    pulumi.Inputs,
    pulumi.CustomResourceOptions,
  ];
  const key = `${type}::${name}`;
  resourceKeys.set(res, key);
  const explicit = new Promise<unknown>((resolve) =>
    (pulumi.output(opts?.dependsOn) as pulumi.Output<unknown>).apply(resolve),
  ).then((d) => (d === undefined ? [] : Array.isArray(d) ? d : [d]) as pulumi.Resource[]);
  dependenciesByResource.set(
    key,
    Promise.all([explicit, outputResources(props)]).then(([a, b]) => [
      ...new Set(
        [...a, ...b].map((r) => resourceKeys.get(r)).filter((k): k is string => k !== undefined),
      ),
    ]),
  );
  return register(...args);
};

/** Resolves once the dependencies of everything registered so far are known. */
export async function dependenciesSettled(): Promise<void> {
  await Promise.all(dependenciesByResource.values());
}

/** `provider:module:Type` → `Microsoft.Module/types`-ish id segment, enough to look like an id. */
function resourceId(type: string, name: string): string {
  const [, module, kind] = type.split(":");
  return `/subscriptions/${SUBSCRIPTION}/resourceGroups/platform/providers/Microsoft.${module}/${kind}/${name}`;
}

/** Outputs Azure computes that the program reads, per type token. */
export function computedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  switch (type) {
    case "azure-native:containerservice:ManagedCluster":
      return {
        oidcIssuerProfile: { enabled: true, issuerURL: OIDC_ISSUER },
        identityProfile: { kubeletidentity: { objectId: `${name}-kubelet-object-id` } },
        nodeResourceGroup: `MC_platform_${inputs.resourceName}_westeurope`,
      };
    case "azure-native:managedidentity:UserAssignedIdentity":
      return { clientId: `${name}-client-id`, principalId: `${name}-principal-id` };
    case "azure-native:network:PublicIPAddress":
      return { ipAddress: RUNNER_EGRESS_IP };
    case "azure-native:containerregistry:Registry":
      return { loginServer: `${inputs.registryName}.azurecr.io` };
    case "azure-native:keyvault:Vault":
      return {
        properties: {
          ...(inputs.properties as object),
          vaultUri: `https://${inputs.vaultName}.vault.azure.net/`,
        },
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

/** Routes this process's resource registrations and invokes to the mocks, as stack `stack`. */
export function installMocks(stack: string): void {
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const inputs = args.inputs as Record<string, unknown>;
        const resource: CapturedResource = {
          type: args.type,
          name: args.name,
          props: inputs,
          dependencies: [],
        };
        captured.push(resource);
        void dependenciesByResource
          .get(`${args.type}::${args.name}`)
          ?.then((keys) => resource.dependencies.push(...keys));
        const id = resourceId(args.type, args.name);
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
    },
    PROJECT,
    stack,
    false,
  );
}
