import { describe, expect, it } from "vitest";
import { registered, resetRegistered, settle, validateObject } from "../test-support/index.js";
import {
  byType,
  DIGEST,
  k8sObjects,
  mockProvider,
  servingConfig,
  stackArgs,
} from "../test-support/serving-stack-fixture.js";
import { DEFAULT_SCALING } from "./scaling.js";
import type { ServingStackArgs } from "./serving-stack.js";

describe("ServingStack argument checks", () => {
  it("rejects bad arguments before registering any object", async () => {
    const { ServingStack } = await import("./serving-stack.js");
    const provider = mockProvider("aks-bad");
    const cases: [Partial<ServingStackArgs>, string][] = [
      [
        { traffic: { rules: [{ host: "api.ml.example.com" }], weight: 101 } },
        "challengerWeight: 101 must be an integer in 0-100",
      ],
      [
        { challenger: { image: "registry.example/mlops/serving:latest" } },
        'image: "registry.example/mlops/serving:latest" must be pinned by digest',
      ],
      [
        {
          challenger: {
            image: "registry.example/s:1",
            scaling: { ...DEFAULT_SCALING, maxReplicas: 40 },
          },
        },
        "challenger.scaling.maxReplicas: 40 must be <= the champion's (20)",
      ],
      [{ prometheus: undefined }, "prometheus: required when kind is keda"],
      [{ namespace: "ML" }, 'namespace: "ML" must be a DNS-1123 label'],
      // An empty `to` in the egress rule would match every destination.
      [{ egressCidrs: [] }, "egressCidrs: must list at least one CIDR"],
      [
        {
          champion: {
            image: `registry.example/s${DIGEST}`,
            scaling: { ...DEFAULT_SCALING, targetRequestsPerSecond: 0.0004 },
          },
        },
        "scaling.targetRequestsPerSecond: 0.0004 must be in 0.001-",
      ],
      [
        {
          champion: {
            image: `registry.example/s${DIGEST}`,
            scaling: { ...DEFAULT_SCALING, maxReplicas: 1e10 },
          },
        },
        "scaling.maxReplicas: 10000000000 must be an integer in 2-150000",
      ],
      [
        {
          champion: {
            image: `registry.example/s${DIGEST}`,
            resources: {
              requests: { cpuMillis: 1e21, memoryMiB: 1024 },
              limits: { cpuMillis: 1e21, memoryMiB: 1024 },
            },
          },
        },
        "requests.cpuMillis: 1e+21 must be an integer in 1-9007199254740991",
      ],
    ];
    for (const [patch, message] of cases) {
      resetRegistered();
      expect(() => new ServingStack("bad", stackArgs(provider, patch))).toThrow(message);
      await settle();
      expect(k8sObjects(registered), message).toHaveLength(0);
    }
  });

  it("sizes quotas from replicas, surge and resources", async () => {
    const { quotaFor } = await import("./serving-stack.js");
    expect(
      quotaFor([
        {
          resources: {
            requests: { cpuMillis: 250, memoryMiB: 512 },
            limits: { cpuMillis: 500, memoryMiB: 512 },
          },
          maxReplicas: 4,
        },
      ]),
    ).toEqual({
      requests: { cpuMillis: 1250, memoryMiB: 2560 },
      limits: { cpuMillis: 2500, memoryMiB: 2560 },
      pods: 5,
    });
  });

  it("defaults the challenger's scaling to the champion's and refuses a larger minimum", async () => {
    const { challengerScaling } = await import("./serving-stack.js");
    expect(challengerScaling(DEFAULT_SCALING)).toBe(DEFAULT_SCALING);
    expect(() =>
      challengerScaling(DEFAULT_SCALING, { ...DEFAULT_SCALING, minReplicas: 3 }),
    ).toThrow("challenger.scaling.minReplicas: 3 must be <= the champion's (2)");
  });
});

describe("ModelDeployment without an autoscaler", () => {
  it("pins spec.replicas and creates no autoscaling objects", async () => {
    const { ModelDeployment } = await import("./model-deployment.js");
    const { variantConfig } = await import("./serving-stack.js");
    const provider = mockProvider("aks-fixed");
    resetRegistered();
    new ModelDeployment("fixed-champion", {
      provider,
      namespace: "ml-serving",
      image: `registry.example/mlops/serving${DIGEST}`,
      servingConfig: variantConfig(servingConfig, "champion", { kind: "gateway", weight: 0 }),
      workloadIdentity: { clientId: "00000000-0000-0000-0000-00000000c11e" },
      replicas: 3,
    });
    await settle();
    const objects = k8sObjects(registered);
    expect(objects.map((r) => r.type).sort()).toEqual([
      "kubernetes:apps/v1:Deployment",
      "kubernetes:core/v1:Service",
      "kubernetes:core/v1:ServiceAccount",
      "kubernetes:policy/v1:PodDisruptionBudget",
    ]);
    for (const r of objects) validateObject(r.type, r.inputs);
    expect(byType(objects, "kubernetes:apps/v1:Deployment")[0].inputs.spec.replicas).toBe(3);
  });
});
