/**
 * Autoscaling policy shared by the autoscaler components and the HPA
 * simulator, so the behaviour the simulator replays is the one deployed. The
 * types and `DEFAULT_SCALING` live in `@mlops/contracts` (the stack config
 * defaults to them too); this module checks settings against the API's limits.
 */
import {
  DEFAULT_SCALING,
  PolicyType,
  type ScalingRules,
  type ScalingSettings,
  SelectPolicy,
} from "@mlops/contracts";
import { assertTarget } from "./quantity.js";
import { assertReplicaCount } from "./replicas.js";

export {
  DEFAULT_SCALING,
  PolicyType,
  type ScalingBehavior,
  type ScalingPolicy,
  type ScalingRules,
  type ScalingSettings,
  SelectPolicy,
} from "@mlops/contracts";

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
  assertReplicaCount(`${field}.minReplicas`, minReplicas);
  assertReplicaCount(`${field}.maxReplicas`, maxReplicas, minReplicas);
  assertTarget(`${field}.targetRequestsPerSecond`, targetRequestsPerSecond);
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
