/**
 * The autoscaling policy's types and the platform's defaults: the k8s autoscaler components and
 * the HPA simulator (`@mlops/k8s`) apply them, and the stack config (stack-serving.ts) defaults
 * its replica bounds and per-pod target to them. Field names follow `autoscaling/v2`
 * `HorizontalPodAutoscalerBehavior`, which KEDA passes through unchanged
 * (`advanced.horizontalPodAutoscalerConfig`).
 */

/** How a policy bounds the change per period. */
export const PolicyType = { Pods: "Pods", Percent: "Percent" } as const;
export type PolicyType = (typeof PolicyType)[keyof typeof PolicyType];

/** Which allowed change wins when several policies apply. */
export const SelectPolicy = { Max: "Max", Min: "Min", Disabled: "Disabled" } as const;
export type SelectPolicy = (typeof SelectPolicy)[keyof typeof SelectPolicy];

/** One rate limit: at most `value` pods (or percent) per `periodSeconds`. */
export interface ScalingPolicy {
  /** `Pods` (absolute) or `Percent` (of the replicas at the start of the period). */
  readonly type: PolicyType;
  /** Allowed change; a positive integer. */
  readonly value: number;
  /** Length of the sliding period the change is counted over, 1-1800 s. */
  readonly periodSeconds: number;
}

/** Rules for one direction (up or down). */
export interface ScalingRules {
  /** Recommendations of the last N seconds that are considered, 0-3600 s. */
  readonly stabilizationWindowSeconds: number;
  /** `Max` picks the largest allowed change, `Min` the smallest, `Disabled` none. */
  readonly selectPolicy: SelectPolicy;
  /** At least one policy. */
  readonly policies: readonly ScalingPolicy[];
}

/** Scale-up and scale-down rules, as in `HorizontalPodAutoscalerBehavior`. */
export interface ScalingBehavior {
  /** How fast replicas are added. */
  readonly scaleUp: ScalingRules;
  /** How fast replicas are removed. */
  readonly scaleDown: ScalingRules;
}

/**
 * Smallest autoscaling target: a Kubernetes quantity (and KEDA, which reads thresholds in
 * milli-units) carries no less than one milli-unit, so a smaller target renders as `0m`.
 */
export const MIN_SCALING_TARGET = 0.001;

/** Replica bounds, per-pod target and behaviour of one autoscaled deployment. */
export interface ScalingSettings {
  /** Never fewer replicas than this (>= 1: two keep a rolling node drain safe). */
  readonly minReplicas: number;
  /** Never more replicas than this (>= minReplicas). */
  readonly maxReplicas: number;
  /** Prediction requests per second one pod should serve (>= MIN_SCALING_TARGET). */
  readonly targetRequestsPerSecond: number;
  /** Rate limits and stabilisation windows. */
  readonly behavior: ScalingBehavior;
}

/** A Percent and a Pods policy over one period, frozen: `selectPolicy` chooses between them. */
function percentOrPods(
  percent: number,
  pods: number,
  periodSeconds: number,
): readonly ScalingPolicy[] {
  return Object.freeze([
    Object.freeze({ type: PolicyType.Percent, value: percent, periodSeconds }),
    Object.freeze({ type: PolicyType.Pods, value: pods, periodSeconds }),
  ]);
}

/**
 * The platform's defaults (DESIGN.md, "Autoscaling on prediction volume"):
 * scale up at once, by 100 % or 4 pods per 30 s, whichever is more; scale
 * down only after 5 minutes of lower recommendations, by 50 % or 2 pods per
 * 60 s, whichever is less, so one quiet minute never halves the fleet.
 */
export const DEFAULT_SCALING: ScalingSettings = Object.freeze({
  minReplicas: 2,
  maxReplicas: 20,
  targetRequestsPerSecond: 10,
  behavior: Object.freeze({
    scaleUp: Object.freeze({
      stabilizationWindowSeconds: 0,
      selectPolicy: SelectPolicy.Max,
      policies: percentOrPods(100, 4, 30),
    }),
    scaleDown: Object.freeze({
      stabilizationWindowSeconds: 300,
      selectPolicy: SelectPolicy.Min,
      policies: percentOrPods(50, 2, 60),
    }),
  }),
});
