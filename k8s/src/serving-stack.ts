import { CHALLENGER, CHAMPION, type ServedVariant, type ServingConfig } from "@mlops/contracts";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CanaryIngress, type IngressRule } from "./canary-ingress.js";
import {
  type HealthPaths,
  ModelDeployment,
  type ModelDeploymentArgs,
  type WorkloadIdentity,
} from "./model-deployment.js";
import type { AutoscalerKind, KedaPrometheusSource } from "./prediction-autoscaler.js";
import {
  addAmounts,
  type ContainerResources,
  DEFAULT_RESOURCES,
  type ResourceAmounts,
  scaleAmounts,
} from "./resources.js";
import { DEFAULT_SCALING, type ScalingSettings } from "./scaling.js";
import { type NamespaceQuota, ServingNamespace } from "./serving-namespace.js";

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
   * variant, with `challengerWeight` set to the canary weight so every pod
   * reports the split that is live.
   */
  readonly servingConfig: ServingConfig;
  /** Secret holding the credential variables, when the config sets any. */
  readonly secretName?: pulumi.Input<string>;
  /** Seconds the server drains in-flight requests on SIGTERM. @default DEFAULT_DRAIN_SECONDS */
  readonly drainSeconds?: number;
  /** The server's health routes. @default DEFAULT_HEALTH_PATHS */
  readonly healthPaths?: HealthPaths;
  /** The model in production. */
  readonly champion: VariantArgs;
  /** The model under test; gets `canary.weight` percent of traffic. */
  readonly challenger: VariantArgs;
  /** Public routing of the split. */
  readonly canary: {
    /** Hosts and paths of the API. */
    readonly rules: readonly IngressRule[];
    /** Percent of requests (integer 0-100) to the challenger; from stack config. */
    readonly weight: number;
    /** Header forcing an arm. @default "X-Canary" */
    readonly header?: string;
    /** Cookie forcing an arm. @default none */
    readonly cookie?: string;
    /** IngressClass. @default the AKS application-routing class */
    readonly ingressClassName?: string;
    /** TLS Secret for the hosts; plain HTTP when absent. */
    readonly tlsSecretName?: string;
  };
  /** Identity the pods use for Azure services. */
  readonly workloadIdentity: WorkloadIdentity;
  /** KEDA (default) or plain HPA. @default "keda" */
  readonly autoscalerKind?: AutoscalerKind;
  /** Managed Prometheus source; required with KEDA. */
  readonly prometheus?: KedaPrometheusSource;
  /** HTTPS egress CIDRs. @default ["0.0.0.0/0"] */
  readonly egressCidrs?: readonly string[];
  /** Namespace of the ingress controller. @default the AKS application-routing namespace */
  readonly ingressControllerNamespace?: string;
}

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

/** The shared config as one arm's Deployment runs it. */
export function variantConfig(
  config: ServingConfig,
  variant: ServedVariant,
  canaryWeight: number,
): ServingConfig {
  return { ...config, mode: "single", variant, challengerWeight: canaryWeight };
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
 * volume), and the NGINX canary split between them.
 */
export class ServingStack extends pulumi.ComponentResource {
  /** The namespace everything lives in. */
  public readonly namespace: pulumi.Output<string>;
  /** The champion's Service. */
  public readonly championService: pulumi.Output<string>;
  /** The challenger's Service. */
  public readonly challengerService: pulumi.Output<string>;
  /** The canary Ingress whose weight the pipeline moves. */
  public readonly canaryIngress: pulumi.Output<string>;

  constructor(name: string, args: ServingStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:k8s:ServingStack", name, {}, opts);
    const championScaling = args.champion.scaling ?? DEFAULT_SCALING;
    const challengerScaled = challengerScaling(championScaling, args.challenger.scaling);
    const championResources = args.champion.resources ?? DEFAULT_RESOURCES;
    const challengerResources = args.challenger.resources ?? DEFAULT_RESOURCES;

    const ns = new ServingNamespace(
      `${name}-namespace`,
      {
        provider: args.provider,
        namespace: args.namespace,
        containerPort: args.servingConfig.port,
        quota: quotaFor([
          { resources: championResources, maxReplicas: championScaling.maxReplicas },
          { resources: challengerResources, maxReplicas: challengerScaled.maxReplicas },
        ]),
        containerMax: maxLimits(championResources.limits, challengerResources.limits),
        egressCidrs: args.egressCidrs,
        ingressControllerNamespace: args.ingressControllerNamespace,
      },
      { parent: this },
    );

    const variant = (
      variantName: ServedVariant,
      v: VariantArgs,
      scaling: ScalingSettings,
    ): ModelDeployment => {
      const deploymentArgs: ModelDeploymentArgs = {
        provider: args.provider,
        namespace: ns.name,
        image: v.image,
        servingConfig: variantConfig(args.servingConfig, variantName, args.canary.weight),
        secretName: args.secretName,
        drainSeconds: args.drainSeconds,
        healthPaths: args.healthPaths,
        workloadIdentity: args.workloadIdentity,
        resources: v.resources,
        autoscaling: {
          kind: args.autoscalerKind,
          scaling,
          prometheus: args.prometheus,
        },
      };
      return new ModelDeployment(`${name}-${variantName}`, deploymentArgs, { parent: this });
    };
    const champion = variant(CHAMPION, args.champion, championScaling);
    const challenger = variant(CHALLENGER, args.challenger, challengerScaled);

    const ingress = new CanaryIngress(
      `${name}-ingress`,
      {
        provider: args.provider,
        namespace: ns.name,
        rules: args.canary.rules,
        stable: { name: champion.serviceName, port: champion.servicePort },
        canary: { name: challenger.serviceName, port: challenger.servicePort },
        canaryWeight: args.canary.weight,
        canaryHeader: args.canary.header,
        canaryCookie: args.canary.cookie,
        ingressClassName: args.canary.ingressClassName,
        tlsSecretName: args.canary.tlsSecretName,
      },
      { parent: this },
    );

    this.namespace = ns.name;
    this.championService = champion.serviceName;
    this.challengerService = challenger.serviceName;
    this.canaryIngress = ingress.canaryIngressName;
    this.registerOutputs({
      namespace: this.namespace,
      championService: this.championService,
      challengerService: this.challengerService,
      canaryIngress: this.canaryIngress,
    });
  }
}
