import { PREDICTION_REQUESTS, PREDICTIONS_PER_SECOND_POD_METRIC } from "@mlops/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, validateObject } from "../test-support/index.js";
import {
  byType,
  k8sObjects,
  objectNamed,
  renderServingStack,
} from "../test-support/serving-stack-fixture.js";
import { DEFAULT_SCALING } from "./scaling.js";

let kedaStack: Registered[];
let hpaStack: Registered[];

beforeAll(async () => {
  kedaStack = await renderServingStack("serving");
  hpaStack = await renderServingStack("serving-hpa", {
    namespace: "ml-serving-hpa",
    autoscalerKind: "hpa",
    managedPrometheusScraping: false,
  });
});

describe("ServingStack routing and autoscaling (KEDA, the default)", () => {
  describe("canary ingress", () => {
    const ingresses = () => byType(kedaStack, "kubernetes:networking.k8s.io/v1:Ingress");
    const isCanary = (r: Registered) =>
      r.inputs.metadata.annotations["nginx.ingress.kubernetes.io/canary"] === "true";
    const backend = (r: Registered) => r.inputs.spec.rules[0].http.paths[0].backend.service.name;

    it("routes the stable Ingress to the champion and the canary to the challenger", () => {
      const [canary] = ingresses().filter(isCanary);
      const [stable] = ingresses().filter((r) => !isCanary(r));
      expect(backend(stable)).toBe("serving-champion");
      expect(backend(canary)).toBe("serving-challenger");
      expect(stable.inputs.spec.ingressClassName).toBe("webapprouting.kubernetes.azure.com");
    });

    it("carries the weight as an integer string in 0-100, with header, cookie and sticky affinity", () => {
      const [canary] = ingresses().filter(isCanary);
      const a = canary.inputs.metadata.annotations as Record<string, string>;
      expect(a["nginx.ingress.kubernetes.io/canary-weight"]).toMatch(/^(100|[1-9]?[0-9])$/);
      expect(a["nginx.ingress.kubernetes.io/canary-weight"]).toBe("10");
      expect(Object.keys(a).sort()).toEqual([
        "nginx.ingress.kubernetes.io/affinity",
        "nginx.ingress.kubernetes.io/affinity-canary-behavior",
        "nginx.ingress.kubernetes.io/affinity-mode",
        "nginx.ingress.kubernetes.io/canary",
        "nginx.ingress.kubernetes.io/canary-by-cookie",
        "nginx.ingress.kubernetes.io/canary-by-header",
        "nginx.ingress.kubernetes.io/canary-weight",
        "nginx.ingress.kubernetes.io/session-cookie-name",
      ]);
      expect(a["nginx.ingress.kubernetes.io/affinity-canary-behavior"]).toBe("sticky");
      expect(a["nginx.ingress.kubernetes.io/canary-by-header"]).toBe("X-Canary");
    });

    it("has one canary per rule (host + path)", async () => {
      const { assertOneCanaryPerRule } = await import("./canary-ingress.js");
      const canaries = new Map(
        ingresses()
          .filter(isCanary)
          .map((r) => [
            r.name,
            // biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
            r.inputs.spec.rules.flatMap((rule: any) =>
              // biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
              rule.http.paths.map((p: any) => ({ host: rule.host, path: p.path })),
            ),
          ]),
      );
      expect(canaries.size).toBe(1);
      expect(() => assertOneCanaryPerRule(canaries)).not.toThrow();
    });
  });

  describe("autoscaling", () => {
    const scaled = (variant: string) =>
      objectNamed(kedaStack, "kubernetes:keda.sh/v1alpha1:ScaledObject", `serving-${variant}`)
        .inputs;

    it("scales each Deployment on its per-pod prediction rate from managed Prometheus, and CPU", () => {
      for (const variant of ["champion", "challenger"]) {
        const so = scaled(variant);
        expect(Object.keys(so.spec).sort()).toEqual([
          "advanced",
          "fallback",
          "maxReplicaCount",
          "minReplicaCount",
          "scaleTargetRef",
          "triggers",
        ]);
        expect(so.spec.scaleTargetRef).toEqual({
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: `serving-${variant}`,
        });
        const [rate, cpu] = so.spec.triggers;
        expect(rate).toEqual({
          type: "prometheus",
          name: "prediction-rate",
          metricType: "AverageValue",
          metadata: {
            serverAddress: "https://mlops-prod-amw.westeurope.prometheus.monitor.azure.com",
            query: `sum(rate(${PREDICTION_REQUESTS.name}{namespace="ml-serving",variant="${variant}"}[1m]))`,
            threshold: "10",
            ignoreNullValues: "true",
          },
          authenticationRef: { name: `serving-${variant}` },
        });
        // CPU from Prometheus too: KEDA rejects a fallback next to its cpu scaler. The pods are
        // `<deployment>-<hash>-<suffix>`, in the alphabet of generated names.
        const c = "[bcdfghjklmnpqrstvwxz2456789]";
        expect(cpu).toEqual({
          type: "prometheus",
          name: "cpu",
          metricType: "AverageValue",
          metadata: {
            serverAddress: "https://mlops-prod-amw.westeurope.prometheus.monitor.azure.com",
            query: `sum(rate(container_cpu_usage_seconds_total{namespace="ml-serving",pod=~"serving-${variant}-(?:${c}{1,10}-${c}{5})",container="server"}[2m]))`,
            threshold: "0.35",
            ignoreNullValues: "true",
          },
          authenticationRef: { name: `serving-${variant}` },
        });
        // While Prometheus cannot be read, hold the maximum instead of never scaling down.
        expect(so.spec.fallback).toEqual({ failureThreshold: 3, replicas: 20 });
        expect(
          so.spec.triggers.every((t: { metricType: string }) => t.metricType === "AverageValue"),
        ).toBe(true);
        expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual(
          JSON.parse(JSON.stringify(DEFAULT_SCALING.behavior)),
        );
      }
    });

    it("authenticates KEDA to Prometheus with workload identity", () => {
      const ta = objectNamed(
        kedaStack,
        "kubernetes:keda.sh/v1alpha1:TriggerAuthentication",
        "serving-champion",
      ).inputs;
      expect(ta.spec).toEqual({
        podIdentity: {
          provider: "azure-workload",
          identityId: "00000000-0000-0000-0000-0000000ceda0",
        },
      });
    });

    it("never gives the challenger more replicas than the champion by default", () => {
      const champion = scaled("champion").spec;
      const challenger = scaled("challenger").spec;
      expect(challenger.maxReplicaCount).toBeLessThanOrEqual(champion.maxReplicaCount);
      expect(challenger.minReplicaCount).toBeLessThanOrEqual(champion.minReplicaCount);
      expect([champion.minReplicaCount, champion.maxReplicaCount]).toEqual([2, 20]);
    });
  });
});

describe("ServingStack with the plain HPA alternative", () => {
  it("creates autoscaling/v2 HPAs on the contracts' Pods metric and no KEDA objects", () => {
    const hpas = byType(hpaStack, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    expect(hpas).toHaveLength(2);
    expect(hpaStack.some((r) => r.type.includes("keda.sh"))).toBe(false);
    // Scraping left to whoever manages the cluster's settings ConfigMap.
    expect(byType(hpaStack, "kubernetes:core/v1:ConfigMap")).toHaveLength(0);
    for (const hpa of hpas) {
      validateObject(hpa.type, hpa.inputs);
      expect(Object.keys(hpa.inputs.spec).sort()).toEqual([
        "behavior",
        "maxReplicas",
        "metrics",
        "minReplicas",
        "scaleTargetRef",
      ]);
      expect(hpa.inputs.spec.metrics[0]).toEqual({
        type: "Pods",
        pods: {
          metric: { name: PREDICTIONS_PER_SECOND_POD_METRIC },
          target: { type: "AverageValue", averageValue: "10" },
        },
      });
    }
    for (const r of k8sObjects(hpaStack)) validateObject(r.type, r.inputs);
  });
});

describe("the validators themselves", () => {
  it("reject what they should: wrong types in core objects, unknown or mistyped fields in KEDA objects", () => {
    const deployment = byType(kedaStack, "kubernetes:apps/v1:Deployment")[0];
    expect(() =>
      validateObject(deployment.type, {
        ...deployment.inputs,
        spec: { ...deployment.inputs.spec, replicas: "2" },
      }),
    ).toThrow();
    const so = byType(kedaStack, "kubernetes:keda.sh/v1alpha1:ScaledObject")[0];
    expect(() =>
      validateObject(so.type, { ...so.inputs, spec: { ...so.inputs.spec, minReplicaCount: "2" } }),
    ).toThrow(/minReplicaCount must be integer/);
    expect(() =>
      validateObject(so.type, { ...so.inputs, spec: { ...so.inputs.spec, maxReplicaCont: 20 } }),
    ).toThrow(/must NOT have additional properties/);
    const ta = byType(kedaStack, "kubernetes:keda.sh/v1alpha1:TriggerAuthentication")[0];
    expect(() =>
      validateObject(ta.type, { ...ta.inputs, spec: { podIdentity: { provider: "azure-wi" } } }),
    ).toThrow(/must be equal to one of the allowed values/);
  });
});
