import { describe, expect, it } from "vitest";
import { DEFAULT_SCALING, validateScalingSettings, withScalingDefaults } from "./scaling.js";

describe("DEFAULT_SCALING", () => {
  it("carries the platform's defaults", () => {
    expect(DEFAULT_SCALING).toMatchObject({
      minReplicas: 2,
      maxReplicas: 20,
      targetRequestsPerSecond: 10,
    });
    expect(() => validateScalingSettings("autoscaling", DEFAULT_SCALING)).not.toThrow();
  });

  // DESIGN.md: up at once by 100 % or 4 pods per 30 s (more), down after 5 minutes by 50 % or
  // 2 pods per 60 s (less).
  it.each([
    { direction: "scaleUp", window: 0, select: "Max", percent: 100, pods: 4, period: 30 },
    { direction: "scaleDown", window: 300, select: "Min", percent: 50, pods: 2, period: 60 },
  ] as const)(
    "$direction: window $window s, $select of $percent % or $pods pods per $period s",
    ({ direction, window, select, percent, pods, period }) => {
      expect(DEFAULT_SCALING.behavior[direction]).toEqual({
        stabilizationWindowSeconds: window,
        selectPolicy: select,
        policies: [
          { type: "Percent", value: percent, periodSeconds: period },
          { type: "Pods", value: pods, periodSeconds: period },
        ],
      });
    },
  );

  it("is frozen, so no caller can change another's defaults", () => {
    expect(Object.isFrozen(DEFAULT_SCALING.behavior.scaleUp.policies)).toBe(true);
  });
});

describe("withScalingDefaults", () => {
  it("replaces only the given fields and directions", () => {
    const s = withScalingDefaults({
      maxReplicas: 8,
      behavior: {
        scaleDown: { ...DEFAULT_SCALING.behavior.scaleDown, stabilizationWindowSeconds: 60 },
      },
    } as never);
    expect(s.maxReplicas).toBe(8);
    expect(s.minReplicas).toBe(2);
    expect(s.behavior.scaleUp).toBe(DEFAULT_SCALING.behavior.scaleUp);
    expect(s.behavior.scaleDown.stabilizationWindowSeconds).toBe(60);
  });
});

describe("validateScalingSettings", () => {
  const bad = (patch: object) => () =>
    validateScalingSettings("autoscaling", { ...DEFAULT_SCALING, ...patch } as never);
  const badUp = (patch: object) =>
    bad({
      behavior: {
        ...DEFAULT_SCALING.behavior,
        scaleUp: { ...DEFAULT_SCALING.behavior.scaleUp, ...patch },
      },
    });

  it("names the field and the rule", () => {
    expect(bad({ minReplicas: 0 })).toThrow(
      "autoscaling.minReplicas: 0 must be an integer in 1-150000",
    );
    expect(bad({ maxReplicas: 1 })).toThrow(
      "autoscaling.maxReplicas: 1 must be an integer in 2-150000",
    );
    expect(bad({ targetRequestsPerSecond: 0 })).toThrow(
      "autoscaling.targetRequestsPerSecond: 0 must be in 0.001-9007199254740.99 (1m up to a milli-value in plain digits)",
    );
    expect(badUp({ stabilizationWindowSeconds: 4000 })).toThrow(
      "autoscaling.behavior.scaleUp.stabilizationWindowSeconds: 4000 must be an integer in 0-3600",
    );
    expect(badUp({ selectPolicy: "Largest" })).toThrow(
      'autoscaling.behavior.scaleUp.selectPolicy: "Largest" must be Max, Min or Disabled',
    );
    expect(badUp({ policies: [] })).toThrow(
      "autoscaling.behavior.scaleUp.policies: at least one policy is required",
    );
    expect(badUp({ policies: [{ type: "Podz", value: 1, periodSeconds: 15 }] })).toThrow(
      'autoscaling.behavior.scaleUp.policies[0].type: "Podz" must be Pods or Percent',
    );
    expect(badUp({ policies: [{ type: "Pods", value: 0, periodSeconds: 15 }] })).toThrow(
      "autoscaling.behavior.scaleUp.policies[0].value: 0 must be a positive integer",
    );
    expect(badUp({ policies: [{ type: "Pods", value: 1, periodSeconds: 1801 }] })).toThrow(
      "autoscaling.behavior.scaleUp.policies[0].periodSeconds: 1801 must be an integer in 1-1800",
    );
  });
});
