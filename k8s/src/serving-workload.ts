/**
 * The objects every serving workload on the cluster has (the model variants, the GARCH service),
 * built one way: a workload-identity ServiceAccount, a Deployment of the given pod template, a
 * ClusterIP Service and a PodDisruptionBudget.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Port of every serving workload's ClusterIP Service. */
export const SERVICE_PORT = 80;
/** Name of the container port, referenced by probes, Service and scrape config. */
export const PORT_NAME = "http";

/** Workload identity the pods authenticate to Azure with. */
export interface WorkloadIdentity {
  /** Client ID of the user-assigned managed identity federated with this ServiceAccount. */
  readonly clientId: pulumi.Input<string>;
  /** Entra tenant of the identity; the webhook's default tenant when absent. */
  readonly tenantId?: pulumi.Input<string>;
}

/** What {@link createServingWorkload} builds from: `selector` labels every object and pod. */
export interface ServingWorkloadArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly selector: Record<string, string>;
  readonly workloadIdentity: WorkloadIdentity;
  /** The pod template, given the name of the ServiceAccount the pods run as. */
  readonly template: (
    serviceAccountName: pulumi.Input<string>,
  ) => k8s.types.input.core.v1.PodTemplateSpec;
  /** A fixed count; undefined when an autoscaler owns it. */
  readonly replicas: number | undefined;
}

/**
 * What every serving workload has (model variants, the GARCH service): a workload-identity
 * ServiceAccount, a Deployment of the serving pod rolled without losing capacity, a Service, a PDB.
 */
export function createServingWorkload(
  name: string,
  args: ServingWorkloadArgs,
  parent: pulumi.Resource,
) {
  const child = { parent, provider: args.provider };
  const { selector } = args;
  const metadata = { name, namespace: args.namespace, labels: selector };
  const identity = args.workloadIdentity;
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-service-account`,
    {
      metadata: {
        ...metadata,
        annotations: {
          "azure.workload.identity/client-id": identity.clientId,
          ...(identity.tenantId === undefined
            ? {}
            : { "azure.workload.identity/tenant-id": identity.tenantId }),
        },
      },
      automountServiceAccountToken: false,
    },
    child,
  );
  const deployment = new k8s.apps.v1.Deployment(
    `${name}-deployment`,
    {
      metadata,
      spec: {
        ...(args.replicas === undefined ? {} : { replicas: args.replicas }),
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
        revisionHistoryLimit: 5,
        template: args.template(serviceAccount.metadata.name),
      },
    },
    child,
  );
  const service = new k8s.core.v1.Service(
    `${name}-service`,
    {
      metadata,
      spec: {
        type: "ClusterIP",
        selector,
        ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: PORT_NAME, protocol: "TCP" }],
      },
    },
    child,
  );
  new k8s.policy.v1.PodDisruptionBudget(
    `${name}-pdb`,
    { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
    child,
  );
  return { serviceAccount, deployment, service };
}
