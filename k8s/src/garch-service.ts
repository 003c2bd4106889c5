import {
  AB_TEST_ENV_VARS,
  GARCH_POD_REQUESTS,
  PUBLIC_PATHS,
  PUBLIC_ROUTE_LABEL,
  type ServingConfig,
} from "@mlops/contracts";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { edgeServiceAccount } from "./gateway-route.js";
import {
  createKeyVaultMount,
  type KeyVaultMount,
  type KeyVaultSecretsArgs,
  plannedKeyVaultMount,
} from "./key-vault-secrets.js";
import { type HealthPaths, podTemplate, validatePodTemplateArgs } from "./model-deployment.js";
import { assertDns1123Label, assertDns1123Subdomain, type ServiceAccountRef } from "./names.js";
import { assertReplicaCount } from "./replicas.js";
import type { ContainerResources } from "./resources.js";
import type { DeployedEnv, SecretEnv } from "./secret-env.js";
import { ServingNamespace, validateServingNamespaceArgs } from "./serving-namespace.js";
import { quotaFor } from "./serving-stack.js";
import { createServingWorkload, SERVICE_PORT, type WorkloadIdentity } from "./serving-workload.js";
import {
  createTrafficSplit,
  edgeNamespaces,
  gatewayNamespaceFor,
  type TrafficSplitSettings,
  validateTrafficSplit,
} from "./traffic-split.js";
import { validateFor } from "./validation.js";

/** `app.kubernetes.io/name` of the GARCH service's objects, and its pods' selector. */
export const GARCH_APP_NAME = "garch-service";

/** CPU-utilisation autoscaling of the GARCH service. */
export interface GarchScaling {
  /** Never fewer pods (>= 1). */
  readonly minReplicas: number;
  /** Never more pods (>= minReplicas). */
  readonly maxReplicas: number;
  /** Average CPU utilisation, percent of the pods' CPU request, the HPA holds (1-100). */
  readonly cpuUtilizationPercent: number;
}

/** The second design's autoscaling: 2 to 10 pods, adding pods above 70 % CPU. */
export const GARCH_SCALING: GarchScaling = Object.freeze({
  minReplicas: 2,
  maxReplicas: 10,
  cpuUtilizationPercent: 70,
});

/**
 * The contracts' GARCH pod requests (half a core, what the HPA's utilisation is measured against;
 * the cost estimate prices them), a core of burst, and memory limited at its request so the pod
 * is never the first to be evicted.
 */
export const GARCH_RESOURCES: ContainerResources = Object.freeze({
  requests: Object.freeze({ ...GARCH_POD_REQUESTS }),
  limits: Object.freeze({ cpuMillis: 1000, memoryMiB: GARCH_POD_REQUESTS.memoryMiB }),
});

/** Arguments of {@link GarchService}. */
export interface GarchServiceArgs {
  /** The Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
  /** Namespace to create for the service (locked down like the serving one): a DNS-1123 label. */
  readonly namespace: string;
  /** The serving image, pinned by digest or an immutable tag: the same server, in garch mode. */
  readonly image: string;
  /**
   * The server's config; must be `mode: "garch"` with its default `garchModel` set. Its edge
   * settings (`MLOPS_AUTH`, `MLOPS_SECRETS_DIR`, `MLOPS_OPS_INTERNAL_ONLY`) guard `/predict` and
   * `/predict/custom` as they guard the prediction API.
   */
  readonly servingConfig: ServingConfig;
  /** Credential variables read from a Secret in the namespace. @default none */
  readonly secretEnv?: SecretEnv;
  /**
   * Non-credential variables whose values are Pulumi outputs (the App Insights connection string);
   * never the A/B test settings (`AB_TEST_ENV_VARS`), which the service refuses.
   */
  readonly deployedEnv?: DeployedEnv;
  /**
   * Key Vault secrets (the edge's API keys and canary tokens) the pods mount at the config's
   * `MLOPS_SECRETS_DIR`, through a SecretProviderClass the service creates in its namespace,
   * signing in as `workloadIdentity`. @default none
   */
  readonly keyVaultSecrets?: KeyVaultSecretsArgs;
  /** Identity for Cosmos DB (the registry), Key Vault and Application Insights. */
  readonly workloadIdentity: WorkloadIdentity;
  /** Container requests and limits. @default GARCH_RESOURCES */
  readonly resources?: ContainerResources;
  /** Replica bounds and CPU target. @default GARCH_SCALING */
  readonly scaling?: GarchScaling;
  /** Public host the service answers on: its own, as its paths overlap the prediction API's. */
  readonly host: string;
  /**
   * How the host is routed: the data plane, TLS and DNS settings of the stack's traffic split
   * (Gateway API or the NGINX Ingress), which carries the service as its one arm.
   */
  readonly route?: GarchRoute;
  /** Seconds the server drains on SIGTERM. @default DEFAULT_DRAIN_SECONDS */
  readonly drainSeconds?: number;
  /** The server's health routes. @default DEFAULT_HEALTH_PATHS */
  readonly healthPaths?: HealthPaths;
  /** HTTPS egress CIDRs; at least one (see ServingNamespaceArgs). @default ["0.0.0.0/0"] */
  readonly egressCidrs?: readonly string[];
}

/** The traffic-split settings the GARCH route takes from the stack's split; it has no weights. */
export type GarchRoute = Omit<
  TrafficSplitSettings,
  "rules" | "weight" | "header" | "cookie" | "labels"
>;

/**
 * The split that routes the GARCH host: the service is its one arm (the challenger's share is
 * 0 and both arms are its Service), on whichever data plane the stack runs, publishing the
 * contract's public paths (`PUBLIC_PATHS.garch`), each matched as the contract says (`/health`
 * exactly), and labelled as their allow-list.
 */
export function garchSplit(args: GarchServiceArgs): TrafficSplitSettings {
  return {
    ...args.route,
    rules: PUBLIC_PATHS.garch.map(({ path, match }) => ({
      host: args.host,
      path,
      exact: match === "exact",
    })),
    weight: 0,
    labels: { [PUBLIC_ROUTE_LABEL]: "garch" },
  };
}

/** Name of the route (traffic split) of GarchService `name`. */
const routeName = (name: string) => `${name}-route`;

/**
 * The edge ServiceAccount a gateway-routed GarchService `name` creates (TLS sync and DNS
 * records), known before the service exists so an identity can be federated with it first.
 */
export function garchEdgeServiceAccount(name: string, namespace: string): ServiceAccountRef {
  return edgeServiceAccount(routeName(name), gatewayNamespaceFor(namespace));
}

/** The namespace, its quota sized for the service at its maximum (with rolling-update surge). */
function namespaceArgs(args: GarchServiceArgs) {
  const resources = args.resources ?? GARCH_RESOURCES;
  const scaling = args.scaling ?? GARCH_SCALING;
  return {
    provider: args.provider,
    namespace: args.namespace,
    containerPort: args.servingConfig.port,
    quota: quotaFor([{ resources, maxReplicas: scaling.maxReplicas }]),
    containerDefaults: resources,
    egressCidrs: args.egressCidrs,
    ingressControllerNamespaces: edgeNamespaces(garchSplit(args), args.namespace),
  };
}

/** The pods' template arguments: the shared serving pod, with the GARCH service's resources. */
function templateArgs(args: GarchServiceArgs, keyVaultMount: KeyVaultMount | undefined) {
  return { ...args, resources: args.resources ?? GARCH_RESOURCES, keyVaultMount };
}

/** Throws, naming the field and the rule, unless `args` describe a deployable GARCH service. */
export function validateGarchServiceArgs(name: string, args: GarchServiceArgs): void {
  assertDns1123Label("name", name);
  const config = args.servingConfig;
  if (config.mode !== "garch" || config.garchModel === null) {
    throw new Error(
      `servingConfig.mode: "${config.mode}" must be "garch" with garchModel set (the model /predict serves by default)`,
    );
  }
  for (const variable of Object.keys(args.deployedEnv ?? {})) {
    if (AB_TEST_ENV_VARS.includes(variable)) {
      throw new Error(
        `deployedEnv.${variable}: only the prediction API reads it; the GARCH service runs no experiment and refuses it`,
      );
    }
  }
  validatePodTemplateArgs(templateArgs(args, plannedKeyVaultMount(name, args)));
  validateServingNamespaceArgs(namespaceArgs(args));
  const { minReplicas, maxReplicas, cpuUtilizationPercent } = args.scaling ?? GARCH_SCALING;
  assertReplicaCount("scaling.minReplicas", minReplicas);
  assertReplicaCount("scaling.maxReplicas", maxReplicas, minReplicas);
  if (
    !Number.isInteger(cpuUtilizationPercent) ||
    cpuUtilizationPercent < 1 ||
    cpuUtilizationPercent > 100
  ) {
    throw new Error(
      `scaling.cpuUtilizationPercent: ${cpuUtilizationPercent} must be an integer in 1-100`,
    );
  }
  assertDns1123Subdomain("host", args.host);
  const backend = { name, port: SERVICE_PORT };
  validateTrafficSplit(routeName(name), garchSplit(args), {
    provider: args.provider,
    namespace: args.namespace,
    namespaceName: args.namespace,
    champion: backend,
    challenger: backend,
  });
}

/**
 * The GARCH volatility service on the cluster: its own locked-down namespace (quota sized for
 * its maximum), ServiceAccount (workload identity), Deployment of the serving image in garch mode
 * (probes, resources, the hardened serving pod), Service, PodDisruptionBudget, a CPU-utilisation
 * HorizontalPodAutoscaler, and its own host routed on the stack's data plane (the traffic-split
 * component, Gateway API or NGINX, with the service as its one arm), the contract's public paths
 * only. With Key Vault secrets, a SecretProviderClass in its namespace that the pods mount, as
 * the prediction API's do (key-vault-secrets.ts).
 */
export class GarchService extends pulumi.ComponentResource {
  /** The namespace the service lives in. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the ServiceAccount (the workload-identity subject). */
  public readonly serviceAccountName: pulumi.Output<string>;
  /** Name of the ClusterIP Service. */
  public readonly serviceName: pulumi.Output<string>;
  /** The public host. */
  public readonly host: string;

  constructor(name: string, args: GarchServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:GarchService", name, {}, opts);
    validateFor(this, () => validateGarchServiceArgs(name, args));
    const ns = new ServingNamespace(`${name}-namespace`, namespaceArgs(args), { parent: this });
    const child = { parent: this, provider: args.provider };
    const selector = { "app.kubernetes.io/name": GARCH_APP_NAME };
    const metadata = { name, namespace: ns.name, labels: selector };
    const scaling = args.scaling ?? GARCH_SCALING;
    const keyVaultMount = createKeyVaultMount(name, ns.name, args, child);

    const { serviceAccount, deployment, service } = createServingWorkload(
      name,
      {
        provider: args.provider,
        namespace: ns.name,
        selector,
        workloadIdentity: args.workloadIdentity,
        template: (serviceAccountName) =>
          podTemplate(templateArgs(args, keyVaultMount), serviceAccountName, selector),
        // The autoscaler owns the count.
        replicas: undefined,
      },
      this,
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata,
        spec: {
          scaleTargetRef: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: deployment.metadata.name,
          },
          minReplicas: scaling.minReplicas,
          maxReplicas: scaling.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: {
                name: "cpu",
                target: { type: "Utilization", averageUtilization: scaling.cpuUtilizationPercent },
              },
            },
          ],
        },
      },
      { ...child, dependsOn: [deployment] },
    );

    const backend = { name: service.metadata.name, port: SERVICE_PORT };
    createTrafficSplit(
      routeName(name),
      garchSplit(args),
      {
        provider: args.provider,
        namespace: ns.name,
        namespaceName: args.namespace,
        champion: backend,
        challenger: backend,
      },
      this,
    );

    this.namespace = ns.name;
    this.serviceAccountName = serviceAccount.metadata.name;
    this.serviceName = service.metadata.name;
    this.host = args.host;
    this.registerOutputs({
      namespace: this.namespace,
      serviceAccountName: this.serviceAccountName,
      serviceName: this.serviceName,
      host: this.host,
    });
  }
}
