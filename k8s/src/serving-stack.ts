import { CHALLENGER, CHAMPION, type ServedVariant, type ServingConfig } from "@mlops/contracts";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { edgeServiceAccount } from "./gateway-route.js";
import {
  createKeyVaultMount,
  type KeyVaultMount,
  type KeyVaultSecretsArgs,
  plannedKeyVaultMount,
} from "./key-vault-secrets.js";
import {
  type HealthPaths,
  ModelDeployment,
  type ModelDeploymentArgs,
  validateModelDeploymentArgs,
} from "./model-deployment.js";
import type { ServiceAccountRef } from "./names.js";
import type { AutoscalerKind, KedaPrometheusSource } from "./prediction-autoscaler.js";
import { amaMetricsSettingsData, createAmaMetricsSettings } from "./prometheus-scrape.js";
import {
  addAmounts,
  type ContainerResources,
  DEFAULT_RESOURCES,
  type ResourceAmounts,
  scaleAmounts,
} from "./resources.js";
import { DEFAULT_SCALING, type ScalingSettings } from "./scaling.js";
import type { DeployedEnv, SecretEnv } from "./secret-env.js";
import {
  type NamespaceQuota,
  ServingNamespace,
  type ServingNamespaceArgs,
  validateServingNamespaceArgs,
} from "./serving-namespace.js";
import { SERVICE_PORT, type WorkloadIdentity } from "./serving-workload.js";
import {
  createTrafficSplit,
  edgeNamespaces,
  gatewayNamespaceFor,
  type SplitTarget,
  splitKind,
  type TrafficSplitSettings,
  validateTrafficSplit,
} from "./traffic-split.js";
import { validateFor } from "./validation.js";

/** One model variant of the stack. */
export interface VariantArgs {
  /** Serving image, pinned by digest or immutable tag. */
  readonly image: string;
  /** Container requests and limits. @default DEFAULT_RESOURCES */
  readonly resources?: ContainerResources;
  /**
   * Replica bounds, target and behaviour. Champion: DEFAULT_SCALING;
   * challenger: the champion's, and never above it.
   */
  readonly scaling?: ScalingSettings;
}

/** Arguments of {@link ServingStack}. */
export interface ServingStackArgs {
  /** The Kubernetes provider of the target cluster (the AKS component's). */
  readonly provider: k8s.Provider;
  /** Namespace to create and deploy into: a DNS-1123 label. */
  readonly namespace: string;
  /**
   * The serving configuration both arms share (models, store, experiment,
   * telemetry). Each Deployment gets it in `single` mode for its own
   * variant, with `challengerWeight` set to the split's weight and
   * `trafficSplit` to its kind, so every pod reports the split that is live
   * and records with each prediction what assigned it.
   */
  readonly servingConfig: ServingConfig;
  /**
   * Credential variables both arms read from a Secret in the namespace
   * (e.g. a Cosmos DB key), independent of the config's values. @default none
   */
  readonly secretEnv?: SecretEnv;
  /**
   * Non-credential variables both arms carry as plain values that only
   * exist once deployed (e.g. the App Insights connection string). @default none
   */
  readonly deployedEnv?: DeployedEnv;
  /**
   * Key Vault secrets both arms mount at the config's `MLOPS_SECRETS_DIR`, through a
   * SecretProviderClass the stack creates in its namespace. @default none
   */
  readonly keyVaultSecrets?: KeyVaultSecretsArgs;
  /** Seconds the server drains in-flight requests on SIGTERM. @default DEFAULT_DRAIN_SECONDS */
  readonly drainSeconds?: number;
  /** The server's health routes. @default DEFAULT_HEALTH_PATHS */
  readonly healthPaths?: HealthPaths;
  /** The model in production. */
  readonly champion: VariantArgs;
  /** The model under test; gets `traffic.weight` percent of traffic. */
  readonly challenger: VariantArgs;
  /** Public routing of the split: Gateway API (default) or the NGINX canary pair. */
  readonly traffic: TrafficSplitSettings;
  /** Identity the pods use for Azure services. */
  readonly workloadIdentity: WorkloadIdentity;
  /** KEDA (default) or plain HPA. @default "keda" */
  readonly autoscalerKind?: AutoscalerKind;
  /** Managed Prometheus source; required with KEDA. */
  readonly prometheus?: KedaPrometheusSource;
  /** HTTPS egress CIDRs; at least one (see ServingNamespaceArgs). @default ["0.0.0.0/0"] */
  readonly egressCidrs?: readonly string[];
  /**
   * Create the AKS managed-Prometheus settings ConfigMap
   * (`AMA_METRICS_SETTINGS`) that turns on pod-annotation scraping for this
   * namespace; KEDA and the alerts read the rate it scrapes. Turn off when
   * the cluster's settings ConfigMap is managed elsewhere (it is one per
   * cluster) or the cluster is not AKS. @default true
   */
  readonly managedPrometheusScraping?: boolean;
  /**
   * Further namespaces whose annotated pods that ConfigMap turns scraping on
   * for (the GARCH service's): the agent reads one ConfigMap per cluster.
   * @default none
   */
  readonly scrapedNamespaces?: readonly string[];
}

/**
 * Name of one arm's ModelDeployment in ServingStack `stackName`, and so of
 * its Deployment, Service, ServiceAccount and PodDisruptionBudget.
 */
export function variantName(stackName: string, variant: ServedVariant): string {
  return `${stackName}-${variant}`;
}

/**
 * The service accounts ServingStack `stackName` creates in `namespace`, one
 * per arm. Known before the stack exists, so identities can federate them
 * before the pods that use them are created.
 */
export function servingServiceAccounts(stackName: string, namespace: string): ServiceAccountRef[] {
  return ([CHAMPION, CHALLENGER] as const).map((variant) => ({
    namespace,
    name: variantName(stackName, variant),
  }));
}

/**
 * The edge ServiceAccount a gateway-split ServingStack `stackName` creates (TLS
 * sync and DNS records), known before the stack exists so an identity can be
 * federated with it first.
 */
export function servingEdgeServiceAccount(stackName: string, namespace: string): ServiceAccountRef {
  return edgeServiceAccount(splitName(stackName), gatewayNamespaceFor(namespace));
}

/** Name of the traffic split of ServingStack `stackName`. */
const splitName = (stackName: string) => `${stackName}-ingress`;

/** Fraction of replicas a rolling update may add (Deployment `maxSurge`). */
const SURGE = 0.25;

/**
 * The challenger's scaling, defaulted to the champion's and checked against
 * it: an experiment arm that can outgrow production is a misconfiguration.
 */
export function challengerScaling(
  champion: ScalingSettings,
  challenger?: ScalingSettings,
): ScalingSettings {
  const s = challenger ?? champion;
  if (s.maxReplicas > champion.maxReplicas) {
    throw new Error(
      `challenger.scaling.maxReplicas: ${s.maxReplicas} must be <= the champion's (${champion.maxReplicas})`,
    );
  }
  if (s.minReplicas > champion.minReplicas) {
    throw new Error(
      `challenger.scaling.minReplicas: ${s.minReplicas} must be <= the champion's (${champion.minReplicas})`,
    );
  }
  return s;
}

/** A quota that fits every variant at its maximum plus rolling-update surge, and nothing more. */
export function quotaFor(
  variants: readonly { resources: ContainerResources; maxReplicas: number }[],
): NamespaceQuota {
  const zero: ResourceAmounts = { cpuMillis: 0, memoryMiB: 0 };
  let requests = zero;
  let limits = zero;
  let pods = 0;
  for (const v of variants) {
    const count = v.maxReplicas + Math.ceil(v.maxReplicas * SURGE);
    requests = addAmounts(requests, scaleAmounts(v.resources.requests, count));
    limits = addAmounts(limits, scaleAmounts(v.resources.limits, count));
    pods += count;
  }
  return { requests, limits, pods };
}

/**
 * The shared config as one arm's Deployment runs it: behind the public split
 * (its kind and weight). During a migration the standby carries the same
 * weight but no DNS record, so the public kind is what assigns the arms.
 */
export function variantConfig(
  config: ServingConfig,
  variant: ServedVariant,
  traffic: Pick<TrafficSplitSettings, "kind" | "weight">,
): ServingConfig {
  return {
    ...config,
    mode: "single",
    variant,
    trafficSplit: splitKind(traffic),
    challengerWeight: traffic.weight,
  };
}

/** The namespace, its quota sized for both arms at their maximum. */
function namespaceArgs(args: ServingStackArgs): ServingNamespaceArgs {
  const champion = args.champion.resources ?? DEFAULT_RESOURCES;
  const challenger = args.challenger.resources ?? DEFAULT_RESOURCES;
  const championScaling = args.champion.scaling ?? DEFAULT_SCALING;
  const challengerMax = challengerScaling(championScaling, args.challenger.scaling).maxReplicas;
  return {
    provider: args.provider,
    namespace: args.namespace,
    containerPort: args.servingConfig.port,
    quota: quotaFor([
      { resources: champion, maxReplicas: championScaling.maxReplicas },
      { resources: challenger, maxReplicas: challengerMax },
    ]),
    containerMax: maxLimits(champion.limits, challenger.limits),
    egressCidrs: args.egressCidrs,
    ingressControllerNamespaces: edgeNamespaces(args.traffic, args.namespace),
  };
}

/** One arm's Deployment; the same function for both, so they differ only in data. */
function deploymentArgs(
  args: ServingStackArgs,
  variant: ServedVariant,
  namespace: pulumi.Input<string>,
  keyVaultMount: KeyVaultMount | undefined,
): ModelDeploymentArgs {
  const championScaling = args.champion.scaling ?? DEFAULT_SCALING;
  const v = variant === CHAMPION ? args.champion : args.challenger;
  return {
    provider: args.provider,
    namespace,
    image: v.image,
    servingConfig: variantConfig(args.servingConfig, variant, args.traffic),
    secretEnv: args.secretEnv,
    deployedEnv: args.deployedEnv,
    keyVaultMount,
    drainSeconds: args.drainSeconds,
    healthPaths: args.healthPaths,
    workloadIdentity: args.workloadIdentity,
    resources: v.resources,
    autoscaling: {
      kind: args.autoscalerKind,
      scaling:
        variant === CHAMPION ? championScaling : challengerScaling(championScaling, v.scaling),
      prometheus: args.prometheus,
    },
  };
}

/** The split's target: both arms' Services in the stack's namespace. */
function splitTarget(
  args: ServingStackArgs,
  namespace: pulumi.Input<string>,
  champion: { serviceName: pulumi.Input<string>; servicePort: number },
  challenger: { serviceName: pulumi.Input<string>; servicePort: number },
): SplitTarget {
  return {
    provider: args.provider,
    namespace,
    namespaceName: args.namespace,
    champion: { name: champion.serviceName, port: champion.servicePort },
    challenger: { name: challenger.serviceName, port: challenger.servicePort },
  };
}

/**
 * Throws, naming the field and the rule, unless every child of the stack
 * would accept its arguments; the children's own checks, run up front.
 */
export function validateServingStackArgs(name: string, args: ServingStackArgs): void {
  const keyVaultMount = plannedKeyVaultMount(name, args);
  // The arms first: the namespace's quota and ceiling derive from their resources and scaling.
  for (const variant of [CHAMPION, CHALLENGER] as const) {
    validateModelDeploymentArgs(
      variantName(name, variant),
      deploymentArgs(args, variant, args.namespace, keyVaultMount),
    );
  }
  validateServingNamespaceArgs(namespaceArgs(args));
  if (args.managedPrometheusScraping ?? true) amaMetricsSettingsData(scraped(args));
  const service = (variant: ServedVariant) => ({
    serviceName: variantName(name, variant),
    servicePort: SERVICE_PORT,
  });
  validateTrafficSplit(
    splitName(name),
    args.traffic,
    splitTarget(args, args.namespace, service(CHAMPION), service(CHALLENGER)),
  );
}

/** The namespaces the managed-Prometheus settings scrape: the stack's and any others given. */
function scraped(args: ServingStackArgs): string[] {
  return [args.namespace, ...(args.scrapedNamespaces ?? [])];
}

/** Element-wise maximum of container limits, for the LimitRange ceiling. */
function maxLimits(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  return {
    cpuMillis: Math.max(a.cpuMillis, b.cpuMillis),
    memoryMiB: Math.max(a.memoryMiB, b.memoryMiB),
  };
}

/**
 * The whole serving plane from one typed argument object: a locked-down
 * namespace, the champion and the challenger (each autoscaled on prediction
 * volume), and the traffic split between them (Gateway API or NGINX canary).
 */
export class ServingStack extends pulumi.ComponentResource {
  /** The namespace everything lives in. */
  public readonly namespace: pulumi.Output<string>;
  /** The champion's Service. */
  public readonly championService: pulumi.Output<string>;
  /** The challenger's Service. */
  public readonly challengerService: pulumi.Output<string>;
  /** The object whose weight the pipeline moves: the HTTPRoute, or the canary Ingress. */
  public readonly trafficSplit: pulumi.Output<string>;

  constructor(name: string, args: ServingStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:ServingStack", name, {}, opts);
    // Everything is checked before the first child exists: nothing half-created on bad args.
    validateFor(this, () => validateServingStackArgs(name, args));

    const ns = new ServingNamespace(`${name}-namespace`, namespaceArgs(args), { parent: this });
    const keyVaultMount = createKeyVaultMount(name, ns.name, args, {
      parent: this,
      provider: args.provider,
    });
    const [champion, challenger] = ([CHAMPION, CHALLENGER] as const).map(
      (variant) =>
        new ModelDeployment(
          variantName(name, variant),
          deploymentArgs(args, variant, ns.name, keyVaultMount),
          { parent: this },
        ),
    );

    if (args.managedPrometheusScraping ?? true) {
      createAmaMetricsSettings(`${name}-prometheus-scraping`, scraped(args), {
        parent: this,
        provider: args.provider,
      });
    }

    const split = createTrafficSplit(
      splitName(name),
      args.traffic,
      splitTarget(args, ns.name, champion, challenger),
      this,
    );

    this.namespace = ns.name;
    this.championService = champion.serviceName;
    this.challengerService = challenger.serviceName;
    this.trafficSplit = split;
    this.registerOutputs({
      namespace: this.namespace,
      championService: this.championService,
      challengerService: this.challengerService,
      trafficSplit: this.trafficSplit,
    });
  }
}
