import { PREDICTIONS_PER_SECOND_POD_METRIC } from "@mlops/contracts";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertDns1123Subdomain } from "./names.js";
import { deploymentPodNamePattern } from "./pod-names.js";
import { assertQuantityInteger, assertTarget, targetQuantity } from "./quantity.js";
import { DEFAULT_SCALING, type ScalingSettings, validateScalingSettings } from "./scaling.js";
import { validateFor } from "./validation.js";

/** Which machinery turns prediction volume into replicas. */
export const AutoscalerKind = {
  /** KEDA ScaledObject (AKS KEDA add-on) querying Azure Monitor managed Prometheus. */
  Keda: "keda",
  /** Plain autoscaling/v2 HPA on a Pods metric served by a custom-metrics adapter. */
  Hpa: "hpa",
} as const;
export type AutoscalerKind = (typeof AutoscalerKind)[keyof typeof AutoscalerKind];

/** Where and how KEDA reads the request rate. */
export interface KedaPrometheusSource {
  /** Query endpoint of the Azure Monitor workspace (managed Prometheus), https. */
  readonly serverAddress: pulumi.Input<string>;
  /**
   * Client ID of the user-assigned identity KEDA uses (via workload
   * identity) to query the workspace; it needs Monitoring Data Reader on it.
   * Absent: the KEDA operator's own identity.
   */
  readonly identityClientId?: pulumi.Input<string>;
}

/** Arguments of {@link PredictionAutoscaler}. */
export interface PredictionAutoscalerArgs {
  /** The Kubernetes provider of the target cluster. */
  readonly provider: k8s.Provider;
  /** Namespace of the Deployment. */
  readonly namespace: pulumi.Input<string>;
  /** Name of the Deployment to scale; also the autoscaler objects' name (DNS-1123 subdomain). */
  readonly deploymentName: string;
  /**
   * PromQL returning the Deployment's total prediction rate (req/s) as one
   * sample; KEDA divides it by the replica count (AverageValue), which makes
   * the target a per-pod rate. Only used by the KEDA kind.
   */
  readonly requestRateQuery: pulumi.Input<string>;
  /**
   * PromQL returning the Deployment's total CPU use (cores) as one sample,
   * for the KEDA kind's CPU trigger (see {@link cpuUsageQuery}).
   */
  readonly cpuUsageQuery: pulumi.Input<string>;
  /** CPU request of one pod (millicores): the CPU trigger's 100 %. */
  readonly cpuRequestMillis: number;
  /** Replica bounds, per-pod target and behaviour. @default DEFAULT_SCALING */
  readonly scaling?: ScalingSettings;
  /** KEDA (default) or a plain HPA. @default "keda" */
  readonly kind?: AutoscalerKind;
  /** Prometheus source; required for the KEDA kind. */
  readonly prometheus?: KedaPrometheusSource;
  /**
   * CPU utilisation (percent of requests) that also triggers a scale-up, for
   * requests that are expensive rather than many; 1-100.
   * @default 70
   */
  readonly cpuUtilizationPercent?: number;
}

/** The KEDA CPU trigger's per-pod threshold: `percent` of the request, in cores. */
const cpuThresholdCores = (requestMillis: number, percent: number) =>
  (requestMillis * percent) / 100_000;

/** Throws, naming the field and the rule, unless `args` describe a usable autoscaler. */
export function validatePredictionAutoscalerArgs(args: PredictionAutoscalerArgs): void {
  assertDns1123Subdomain("deploymentName", args.deploymentName);
  const scaling = args.scaling ?? DEFAULT_SCALING;
  validateScalingSettings("scaling", scaling);
  const kind = args.kind ?? AutoscalerKind.Keda;
  if (!Object.values(AutoscalerKind).includes(kind)) {
    throw new Error(`kind: "${kind}" must be keda or hpa`);
  }
  if (kind === AutoscalerKind.Keda && args.prometheus === undefined) {
    throw new Error("prometheus: required when kind is keda (the query endpoint KEDA reads)");
  }
  const cpu = args.cpuUtilizationPercent ?? 70;
  if (!Number.isInteger(cpu) || cpu < 1 || cpu > 100) {
    throw new Error(`cpuUtilizationPercent: ${cpu} must be an integer in 1-100`);
  }
  assertQuantityInteger("cpuRequestMillis", args.cpuRequestMillis);
  if (kind === AutoscalerKind.Keda) {
    assertTarget(
      "cpuUtilizationPercent of cpuRequestMillis (the KEDA CPU threshold, in cores)",
      cpuThresholdCores(args.cpuRequestMillis, cpu),
    );
  }
}

/** `HorizontalPodAutoscalerBehavior` from the shared scaling settings (same shape, copied to plain objects). */
export function hpaBehavior(
  settings: ScalingSettings,
): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerBehavior {
  const rules = (r: ScalingSettings["behavior"]["scaleUp"]) => ({
    stabilizationWindowSeconds: r.stabilizationWindowSeconds,
    selectPolicy: r.selectPolicy,
    policies: r.policies.map((p) => ({
      type: p.type,
      value: p.value,
      periodSeconds: p.periodSeconds,
    })),
  });
  return {
    scaleUp: rules(settings.behavior.scaleUp),
    scaleDown: rules(settings.behavior.scaleDown),
  };
}

/**
 * The container's CPU use in cores, summed over one Deployment's pods (matched by name, see
 * {@link deploymentPodNamePattern}), from the cAdvisor series managed Prometheus collects by
 * default (`container_cpu_usage_seconds_total`).
 */
export function cpuUsageQuery(
  namespace: string,
  deploymentName: string,
  container: string,
): string {
  return `sum(rate(container_cpu_usage_seconds_total{namespace="${namespace}",pod=~"${deploymentPodNamePattern(deploymentName)}",container="${container}"}[2m]))`;
}

/**
 * Consecutive failed metric reads after which KEDA applies the fallback (at the default 30 s
 * polling interval, a minute and a half).
 */
export const FALLBACK_FAILURE_THRESHOLD = 3;

/**
 * Scales one model Deployment on prediction volume. By default a KEDA
 * ScaledObject with two triggers read from managed Prometheus (authenticated
 * by workload identity through a TriggerAuthentication): the per-pod request
 * rate and the per-pod CPU use; KEDA creates the HPA and passes the behaviour
 * through. Both are AverageValue Prometheus triggers so that a `fallback` can
 * be set: while Prometheus cannot be read (e.g. the operator's identity is
 * not federated yet), the HPA skips every scale-down, and KEDA then holds the
 * Deployment at the fallback count instead. KEDA refuses a fallback next to
 * its `cpu` scaler (`CheckFallbackValid` in kedacore/keda,
 * apis/keda/v1alpha1/scaledobject_types.go), hence CPU from Prometheus too.
 * The fallback is the maximum: an autoscaler that cannot see load keeps
 * capacity, and the unreadable metric alerts. The alternative is a plain HPA
 * on a Pods metric and the CPU resource metric.
 */
export class PredictionAutoscaler extends pulumi.ComponentResource {
  /** The kind that was created. */
  public readonly kind: AutoscalerKind;

  constructor(
    name: string,
    args: PredictionAutoscalerArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("mlops:k8s:PredictionAutoscaler", name, {}, opts);
    validateFor(this, () => validatePredictionAutoscalerArgs(args));
    const child = { parent: this, provider: args.provider };
    const scaling = args.scaling ?? DEFAULT_SCALING;
    const cpu = args.cpuUtilizationPercent ?? 70;
    const metadata = { name: args.deploymentName, namespace: args.namespace };
    const scaleTargetRef = { apiVersion: "apps/v1", kind: "Deployment", name: args.deploymentName };
    this.kind = args.kind ?? AutoscalerKind.Keda;

    if (this.kind === AutoscalerKind.Hpa) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
          metadata,
          spec: {
            scaleTargetRef,
            minReplicas: scaling.minReplicas,
            maxReplicas: scaling.maxReplicas,
            metrics: [
              {
                type: "Pods",
                pods: {
                  metric: { name: PREDICTIONS_PER_SECOND_POD_METRIC },
                  target: {
                    type: "AverageValue",
                    averageValue: targetQuantity(scaling.targetRequestsPerSecond),
                  },
                },
              },
              {
                type: "Resource",
                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: cpu } },
              },
            ],
            behavior: hpaBehavior(scaling),
          },
        },
        child,
      );
    } else {
      const prometheus = args.prometheus!;
      const auth = new k8s.apiextensions.CustomResource(
        `${name}-trigger-auth`,
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "TriggerAuthentication",
          metadata,
          spec: {
            podIdentity: {
              provider: "azure-workload",
              ...(prometheus.identityClientId === undefined
                ? {}
                : { identityId: prometheus.identityClientId }),
            },
          },
        },
        child,
      );
      new k8s.apiextensions.CustomResource(
        `${name}-scaled-object`,
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata,
          spec: {
            scaleTargetRef,
            minReplicaCount: scaling.minReplicas,
            maxReplicaCount: scaling.maxReplicas,
            fallback: {
              failureThreshold: FALLBACK_FAILURE_THRESHOLD,
              replicas: scaling.maxReplicas,
            },
            advanced: { horizontalPodAutoscalerConfig: { behavior: hpaBehavior(scaling) } },
            triggers: [
              {
                type: "prometheus",
                name: "prediction-rate",
                metricType: "AverageValue",
                metadata: {
                  serverAddress: prometheus.serverAddress,
                  query: args.requestRateQuery,
                  threshold: String(scaling.targetRequestsPerSecond),
                  // No series yet (a fresh challenger at weight 0) is zero load, not a scaler error.
                  ignoreNullValues: "true",
                },
                authenticationRef: { name: auth.metadata.name },
              },
              {
                type: "prometheus",
                name: "cpu",
                metricType: "AverageValue",
                metadata: {
                  serverAddress: prometheus.serverAddress,
                  query: args.cpuUsageQuery,
                  threshold: String(cpuThresholdCores(args.cpuRequestMillis, cpu)),
                  ignoreNullValues: "true",
                },
                authenticationRef: { name: auth.metadata.name },
              },
            ],
          },
        },
        child,
      );
    }
    this.registerOutputs({ kind: this.kind });
  }
}
