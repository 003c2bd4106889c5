import { describe, expect, it } from "vitest";
import {
  hpaBehavior,
  type PredictionAutoscalerArgs,
  targetQuantity,
  validatePredictionAutoscalerArgs,
} from "./prediction-autoscaler.js";
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
      "scaling.minReplicas: 0 must be an integer >= 1",
    );
    expect(check({ cpuRequestMillis: 0 })).toThrow(
      "cpuRequestMillis: 0 must be a positive integer",
    );
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
  });
});
