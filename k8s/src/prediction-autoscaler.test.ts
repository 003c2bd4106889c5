import { describe, expect, it } from "vitest";
import {
  hpaBehavior,
  type PredictionAutoscalerArgs,
  validatePredictionAutoscalerArgs,
} from "./prediction-autoscaler.js";
import { targetQuantity } from "./quantity.js";
import { DEFAULT_SCALING } from "./scaling.js";

const base: PredictionAutoscalerArgs = {
  provider: undefined as never,
  namespace: "ml-serving",
  deploymentName: "serving-champion",
  requestRateQuery: "sum(rate(prediction_requests_total[1m]))",
  cpuUsageQuery: "sum(rate(container_cpu_usage_seconds_total[2m]))",
  cpuRequestMillis: 500,
  prometheus: { serverAddress: "https://amw.westeurope.prometheus.monitor.azure.com" },
};

describe("validatePredictionAutoscalerArgs", () => {
  const check = (patch: Partial<PredictionAutoscalerArgs>) => () =>
    validatePredictionAutoscalerArgs({ ...base, ...patch });

  it("names the field and the rule", () => {
    expect(check({})).not.toThrow();
    expect(check({ prometheus: undefined })).toThrow(
      "prometheus: required when kind is keda (the query endpoint KEDA reads)",
    );
    expect(check({ prometheus: undefined, kind: "hpa" })).not.toThrow();
    expect(check({ kind: "vpa" as never })).toThrow('kind: "vpa" must be keda or hpa');
    expect(check({ cpuUtilizationPercent: 0 })).toThrow(
      "cpuUtilizationPercent: 0 must be an integer in 1-100",
    );
    expect(check({ scaling: { ...DEFAULT_SCALING, minReplicas: 0 } })).toThrow(
      "scaling.minReplicas: 0 must be an integer in 1-150000",
    );
    expect(check({ cpuRequestMillis: 0 })).toThrow(
      "cpuRequestMillis: 0 must be an integer in 1-9007199254740991",
    );
    expect(check({ cpuRequestMillis: 1, cpuUtilizationPercent: 50 })).toThrow(
      "cpuUtilizationPercent of cpuRequestMillis (the KEDA CPU threshold, in cores): 0.0005 must be in 0.001-9007199254740.99",
    );
    expect(check({ cpuRequestMillis: 1, cpuUtilizationPercent: 50, kind: "hpa" })).not.toThrow();
  });

  it("refuses targets and replica counts that would render wrong", () => {
    const scaling = (patch: Partial<typeof DEFAULT_SCALING>) =>
      check({ scaling: { ...DEFAULT_SCALING, ...patch } });
    // 0.4m would render as "0m", a target of nothing.
    expect(scaling({ targetRequestsPerSecond: 0.0004 })).toThrow(
      "scaling.targetRequestsPerSecond: 0.0004 must be in 0.001-9007199254740.99 (1m up to a milli-value in plain digits)",
    );
    expect(scaling({ targetRequestsPerSecond: 1e21 })).toThrow(
      "scaling.targetRequestsPerSecond: 1e+21 must be in 0.001-",
    );
    expect(scaling({ targetRequestsPerSecond: 0.001 })).not.toThrow();
    expect(scaling({ maxReplicas: 1e10 })).toThrow(
      "scaling.maxReplicas: 10000000000 must be an integer in 2-150000",
    );
    expect(scaling({ maxReplicas: 150_000 })).not.toThrow();
    expect(check({ deploymentName: "Champion" })).toThrow(
      'deploymentName: "Champion" must be a DNS-1123 subdomain',
    );
  });
});

describe("hpaBehavior", () => {
  it("copies the shared behaviour into plain objects of the HPA's shape", () => {
    const b = hpaBehavior(DEFAULT_SCALING);
    expect(b).toEqual(JSON.parse(JSON.stringify(DEFAULT_SCALING.behavior)));
    expect(Object.isFrozen(b.scaleUp)).toBe(false);
  });
});

describe("targetQuantity", () => {
  it("keeps integers and turns fractions into milli-units", () => {
    expect(targetQuantity(10)).toBe("10");
    expect(targetQuantity(7.5)).toBe("7500m");
    expect(targetQuantity(0.001)).toBe("1m");
  });
});
