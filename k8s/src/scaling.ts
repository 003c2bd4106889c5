/**
 * Autoscaling policy shared by the autoscaler components and the HPA
 * simulator, so the behaviour the simulator replays is the one deployed.
 * Field names follow `autoscaling/v2` `HorizontalPodAutoscalerBehavior`, which
 * KEDA passes through unchanged (`advanced.horizontalPodAutoscalerConfig`).
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

/** Replica bounds, per-pod target and behaviour of one autoscaled deployment. */
export interface ScalingSettings {
  /** Never fewer replicas than this (>= 1: two keep a rolling node drain safe). */
  readonly minReplicas: number;
  /** Never more replicas than this (>= minReplicas). */
  readonly maxReplicas: number;
  /** Prediction requests per second one pod should serve (> 0). */
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

// Limits from the autoscaling/v2 API validation (HPAScalingRules, HPAScalingPolicy).
const MAX_PERIOD_SECONDS = 1800;
const MAX_WINDOW_SECONDS = 3600;

function assertRules(field: string, rules: ScalingRules): void {
  const window = rules.stabilizationWindowSeconds;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW_SECONDS) {
    throw new Error(
      `${field}.stabilizationWindowSeconds: ${window} must be an integer in 0-${MAX_WINDOW_SECONDS}`,
    );
  }
  if (!Object.values(SelectPolicy).includes(rules.selectPolicy)) {
    throw new Error(`${field}.selectPolicy: "${rules.selectPolicy}" must be Max, Min or Disabled`);
  }
  if (rules.policies.length === 0) {
    throw new Error(`${field}.policies: at least one policy is required`);
  }
  rules.policies.forEach((policy, i) => {
    const at = `${field}.policies[${i}]`;
    if (!Object.values(PolicyType).includes(policy.type)) {
      throw new Error(`${at}.type: "${policy.type}" must be Pods or Percent`);
    }
    if (!Number.isInteger(policy.value) || policy.value <= 0) {
      throw new Error(`${at}.value: ${policy.value} must be a positive integer`);
    }
    const period = policy.periodSeconds;
    if (!Number.isInteger(period) || period < 1 || period > MAX_PERIOD_SECONDS) {
      throw new Error(
        `${at}.periodSeconds: ${period} must be an integer in 1-${MAX_PERIOD_SECONDS}`,
      );
    }
  });
}

/** Throws, naming the field and the rule, unless `settings` is a usable autoscaling policy. */
export function validateScalingSettings(field: string, settings: ScalingSettings): void {
  const { minReplicas, maxReplicas, targetRequestsPerSecond } = settings;
  if (!Number.isInteger(minReplicas) || minReplicas < 1) {
    throw new Error(`${field}.minReplicas: ${minReplicas} must be an integer >= 1`);
  }
  if (!Number.isInteger(maxReplicas) || maxReplicas < minReplicas) {
    throw new Error(
      `${field}.maxReplicas: ${maxReplicas} must be an integer >= minReplicas (${minReplicas})`,
    );
  }
  if (!Number.isFinite(targetRequestsPerSecond) || targetRequestsPerSecond <= 0) {
    throw new Error(
      `${field}.targetRequestsPerSecond: ${targetRequestsPerSecond} must be a positive number`,
    );
  }
  assertRules(`${field}.behavior.scaleUp`, settings.behavior.scaleUp);
  assertRules(`${field}.behavior.scaleDown`, settings.behavior.scaleDown);
}

/** `settings` with any given fields replaced; behaviour directions replace whole. */
export function withScalingDefaults(overrides: Partial<ScalingSettings> = {}): ScalingSettings {
  return {
    ...DEFAULT_SCALING,
    ...overrides,
    behavior: { ...DEFAULT_SCALING.behavior, ...overrides.behavior },
  };
}
