// Mocks first: resources must not be created before `setMocks` has run.

import { GARCH_SERVICE_PATHS, parseServingConfig } from "@mlops/contracts";
import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { validateObject } from "../test-support/k8s-validate.js";
import {
  type Registered,
  registered,
  resetRegistered,
  settle,
} from "../test-support/pulumi-mocks.js";
import type { GarchServiceArgs } from "./garch-service.js";

/** The GARCH service as the prod program configures it. */
const servingConfig = parseServingConfig({
  MLOPS_MODE: "garch",
  MLOPS_GARCH_MODEL: "dem2gbp@champion",
  MLOPS_STORE: "cosmos",
  COSMOS_ENDPOINT: "https://mlops-prod.documents.azure.com:443/",
});

function garchArgs(
  provider: k8s.Provider,
  overrides: Partial<GarchServiceArgs> = {},
): GarchServiceArgs {
  return {
    provider,
    namespace: "garch",
    image: "registry.example/mlops/prediction-api:1.4.2",
    servingConfig,
    workloadIdentity: { clientId: "00000000-0000-0000-0000-00000000c11e" },
    host: "garch.ml.example.com",
    secretEnv: {
      secretName: "serving-telemetry",
      keys: { APPLICATIONINSIGHTS_CONNECTION_STRING: "connection-string" },
    },
    ...overrides,
  };
}

let objects: Registered[];
let GarchService: typeof import("./garch-service.js").GarchService;
let provider: k8s.Provider;

beforeAll(async () => {
  ({ GarchService } = await import("./garch-service.js"));
  provider = new k8s.Provider("aks", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  resetRegistered();
  new GarchService("garch", garchArgs(provider));
  await settle();
  objects = registered.filter((r) => r.type.startsWith("kubernetes:"));
});

const ofKind = (type: string) => objects.filter((r) => r.type === type);

describe("GarchService", () => {
  it("validates every Kubernetes object against its schema", () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) expect(() => validateObject(o.type, o.inputs), o.name).not.toThrow();
  });

  it("runs the serving image in garch mode with probes, resources and no fixed replica count", () => {
    const [deployment] = ofKind("kubernetes:apps/v1:Deployment");
    expect(deployment!.inputs.spec.replicas).toBeUndefined();
    const [container] = deployment!.inputs.spec.template.spec.containers;
    const env = Object.fromEntries(
      container.env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "dem2gbp@champion" });
    expect(parseServingConfig(env)).toEqual({
      ...servingConfig,
      appInsights: servingConfig.appInsights,
    });
    expect(container.livenessProbe.httpGet.path).toBe("/health/live");
    expect(container.readinessProbe.httpGet.path).toBe("/health/ready");
    expect(container.resources).toEqual({
      requests: { cpu: "500m", memory: "512Mi" },
      limits: { cpu: "1000m", memory: "512Mi" },
    });
  });

  it("autoscales on CPU utilisation at 70 % between 2 and 10 pods", () => {
    const [hpa] = ofKind("kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    expect(hpa!.inputs.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "garch" },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    });
  });

  it("routes its own host's contract paths, and nothing else, to its Service", () => {
    const [ingress] = ofKind("kubernetes:networking.k8s.io/v1:Ingress");
    const [rule] = ingress!.inputs.spec.rules;
    expect(rule.host).toBe("garch.ml.example.com");
    expect(
      rule.http.paths.map((p: { path: string; pathType: string }) => `${p.pathType} ${p.path}`),
    ).toEqual(Object.values(GARCH_SERVICE_PATHS).map((p) => `Exact ${p}`));
    expect(ingress!.inputs.spec.ingressClassName).toBe("webapprouting.kubernetes.azure.com");
  });

  it("gets its own namespace with a quota that fits 10 pods and their rolling-update surge", () => {
    const [quota] = ofKind("kubernetes:core/v1:ResourceQuota");
    // 10 pods + ceil(25 %) surge = 13, each 500m / 512Mi requested, 1 core / 512Mi limit.
    expect(quota!.inputs.spec.hard).toMatchObject({
      pods: "13",
      "requests.cpu": "6500m",
      "limits.cpu": "13000m",
      "requests.memory": "6656Mi",
    });
  });

  it("refuses a config that is not the GARCH service's, naming the field", () => {
    expect(
      () => new GarchService("bad", garchArgs(provider, { servingConfig: parseServingConfig({}) })),
    ).toThrow(/servingConfig.mode: "split" must be "garch"/);
    expect(
      () =>
        new GarchService(
          "bad",
          garchArgs(provider, {
            scaling: { minReplicas: 3, maxReplicas: 2, cpuUtilizationPercent: 70 },
          }),
        ),
    ).toThrow(/scaling.maxReplicas: 2 must be an integer >= minReplicas/);
    expect(() => new GarchService("bad", garchArgs(provider, { host: "Not A Host" }))).toThrow(
      /host:/,
    );
  });
});
