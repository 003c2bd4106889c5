// Mocks first: resources must not be created before `setMocks` has run.

import {
  PREDICTION_REQUESTS,
  PREDICTIONS_PER_SECOND_POD_METRIC,
  parseServingConfig,
  type ServingConfig,
} from "@mlops/contracts";
import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { validateObject } from "../test-support/k8s-validate.js";
import {
  type Registered,
  registered,
  resetRegistered,
  settle,
} from "../test-support/pulumi-mocks.js";
import { DEFAULT_DRAIN_SECONDS } from "./model-deployment.js";
import { DEFAULT_SCALING } from "./scaling.js";
import type { ServingStackArgs } from "./serving-stack.js";

const DIGEST = `@sha256:${"3f".repeat(32)}`;
const CONNECTION_STRING =
  "InstrumentationKey=00000000-0000-0000-0000-00000000a1a1;IngestionEndpoint=https://ingest.example/";

/** What `pnpm mlops` + infra would hand the stack on the prod cluster. */
const servingConfig: ServingConfig = parseServingConfig({
  MLOPS_STORE: "cosmos",
  COSMOS_ENDPOINT: "https://mlops-prod.documents.azure.com:443/",
  MLOPS_CHAMPION_MODEL: "classifier@7",
  MLOPS_CHALLENGER_MODEL: "classifier@8",
  MLOPS_EXPERIMENT_ID: "classifier-v8-rollout",
  LOG_LEVEL: "info",
});

function stackArgs(
  provider: k8s.Provider,
  overrides: Partial<ServingStackArgs> = {},
): ServingStackArgs {
  return {
    provider,
    namespace: "ml-serving",
    servingConfig,
    champion: { image: `registry.example/mlops/serving${DIGEST}` },
    challenger: { image: "registry.example/mlops/serving:8-3f9c2ab" },
    canary: { rules: [{ host: "api.ml.example.com" }], weight: 10, cookie: "mlops-canary" },
    workloadIdentity: {
      clientId: "00000000-0000-0000-0000-00000000c11e",
      tenantId: "00000000-0000-0000-0000-0000000074e7",
    },
    prometheus: {
      serverAddress: "https://mlops-prod-amw.westeurope.prometheus.monitor.azure.com",
      identityClientId: "00000000-0000-0000-0000-0000000ceda0",
    },
    egressCidrs: ["10.20.8.0/24", "20.50.0.0/16"],
    secretEnv: { secretName: "serving-store", keys: { COSMOS_KEY: "cosmos-key" } },
    deployedEnv: { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING },
    ...overrides,
  };
}

const byType = (objects: readonly Registered[], type: string) =>
  objects.filter((r) => r.type === type);
const k8sObjects = (objects: readonly Registered[]) =>
  objects.filter((r) => r.type.startsWith("kubernetes:"));
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes JSON.
const containersOf = (deployment: Registered): any[] =>
  deployment.inputs.spec.template.spec.containers;
const one = (objects: readonly Registered[], type: string, name: string) => {
  const found = byType(objects, type).filter((r) => r.inputs.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

let kedaStack: Registered[];
let hpaStack: Registered[];

beforeAll(async () => {
  const { ServingStack } = await import("./serving-stack.js");
  const provider = new k8s.Provider("aks", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  new ServingStack("serving", stackArgs(provider));
  await settle();
  kedaStack = [...registered];
  resetRegistered();
  new ServingStack(
    "serving-hpa",
    stackArgs(provider, {
      namespace: "ml-serving-hpa",
      autoscalerKind: "hpa",
      managedPrometheusScraping: false,
    }),
  );
  await settle();
  hpaStack = [...registered];
});

describe("ServingStack (KEDA, the default) under Pulumi mocks", () => {
  it("creates the expected objects, no more", () => {
    const count = (type: string) => byType(kedaStack, type).length;
    expect(count("kubernetes:core/v1:Namespace")).toBe(1);
    expect(count("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toBe(5);
    expect(count("kubernetes:core/v1:ResourceQuota")).toBe(1);
    expect(count("kubernetes:core/v1:LimitRange")).toBe(1);
    expect(count("kubernetes:core/v1:ServiceAccount")).toBe(2);
    expect(count("kubernetes:apps/v1:Deployment")).toBe(2);
    expect(count("kubernetes:core/v1:Service")).toBe(2);
    expect(count("kubernetes:policy/v1:PodDisruptionBudget")).toBe(2);
    expect(count("kubernetes:networking.k8s.io/v1:Ingress")).toBe(2);
    expect(count("kubernetes:keda.sh/v1alpha1:TriggerAuthentication")).toBe(2);
    expect(count("kubernetes:keda.sh/v1alpha1:ScaledObject")).toBe(2);
    expect(count("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toBe(0);
    expect(count("kubernetes:core/v1:ConfigMap")).toBe(1);
    expect(k8sObjects(kedaStack)).toHaveLength(23);
  });

  it("validates every Kubernetes object against the 1.33 OpenAPI schema or KEDA's CRD schema", () => {
    for (const r of k8sObjects(kedaStack)) {
      expect(() => validateObject(r.type, r.inputs), `${r.type} ${r.name}`).not.toThrow();
    }
  });

  it("passes the Kubernetes provider explicitly to every object", () => {
    for (const r of k8sObjects(kedaStack)) {
      expect(r.provider, r.name).toMatch(/::pulumi:providers:kubernetes::aks::aks-id$/);
    }
  });

  it("names children <parent>-<role> and every object within Kubernetes name limits", () => {
    const label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
    for (const r of k8sObjects(kedaStack)) {
      expect(r.name.startsWith("serving-"), r.name).toBe(true);
      const { name, namespace } = r.inputs.metadata;
      // Every kind created here is DNS-1123-label-named (Services require it; the rest stay well inside 253).
      expect(name, r.name).toMatch(label);
      // The managed-Prometheus settings are the one object outside the serving namespace.
      if (namespace !== undefined && r.type !== "kubernetes:core/v1:ConfigMap") {
        expect(namespace).toBe("ml-serving");
      }
    }
    // KEDA names its HPA keda-hpa-<name>; that must still be a valid object name.
    for (const so of byType(kedaStack, "kubernetes:keda.sh/v1alpha1:ScaledObject")) {
      expect(`keda-hpa-${so.inputs.metadata.name}`.length).toBeLessThanOrEqual(253);
    }
  });

  describe("policy: every container", () => {
    const deployments = () => byType(kedaStack, "kubernetes:apps/v1:Deployment");

    it("has requests and limits for CPU and memory", () => {
      for (const c of deployments().flatMap(containersOf)) {
        expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
        expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
      }
    });

    it("has startup, liveness and readiness probes on the health routes", () => {
      for (const c of deployments().flatMap(containersOf)) {
        expect(c.startupProbe.httpGet).toEqual({ path: "/health/live", port: "http" });
        expect(c.livenessProbe.httpGet).toEqual({ path: "/health/live", port: "http" });
        expect(c.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "http" });
      }
    });

    it("runs non-root, read-only, without capabilities, under RuntimeDefault seccomp", () => {
      for (const d of deployments()) {
        const pod = d.inputs.spec.template.spec;
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(pod.automountServiceAccountToken).toBe(false);
        for (const c of pod.containers) {
          expect(c.securityContext).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
          });
        }
      }
    });
  });

  it("leaves replicas to the autoscaler, rolls with zero unavailable, spreads over zones", () => {
    for (const d of byType(kedaStack, "kubernetes:apps/v1:Deployment")) {
      const spec = d.inputs.spec;
      expect(Object.keys(spec).sort()).toEqual([
        "revisionHistoryLimit",
        "selector",
        "strategy",
        "template",
      ]);
      expect(spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      const zones = spec.template.spec.topologySpreadConstraints.map(
        (t: { topologyKey: string }) => t.topologyKey,
      );
      expect(zones).toContain("topology.kubernetes.io/zone");
      // Grace covers the pre-stop delay plus the server's drain.
      expect(spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
        DEFAULT_DRAIN_SECONDS + 5,
      );
      expect(spec.template.metadata.annotations["prometheus.io/scrape"]).toBe("true");
      expect(spec.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
    }
  });

  it("has exactly the container fields it means to set (unknown fields slip past the validators)", () => {
    for (const c of byType(kedaStack, "kubernetes:apps/v1:Deployment").flatMap(containersOf)) {
      expect(Object.keys(c).sort()).toEqual([
        "env",
        "image",
        "imagePullPolicy",
        "lifecycle",
        "livenessProbe",
        "name",
        "ports",
        "readinessProbe",
        "resources",
        "securityContext",
        "startupProbe",
        "volumeMounts",
      ]);
    }
  });

  describe("the container env", () => {
    type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { key: string } } }[];
    const envOf = (variant: string) =>
      containersOf(one(kedaStack, "kubernetes:apps/v1:Deployment", `serving-${variant}`))[0]
        .env as Env;
    /** The env the kubelet hands the server once it has read `secret`. */
    const resolve = (env: Env, secret: Record<string, string>) =>
      Object.fromEntries(
        env.flatMap((e) => {
          if (e.value !== undefined) return [[e.name, e.value]];
          const value = secret[e.valueFrom?.secretKeyRef.key ?? ""];
          return value === undefined ? [] : [[e.name, value]];
        }),
      );

    it("carries the App Insights connection string as a plain value and reads credentials from the Secret", () => {
      for (const variant of ["champion", "challenger"]) {
        const env = envOf(variant);
        expect(env.filter((e) => e.name === "APPLICATIONINSIGHTS_CONNECTION_STRING")).toEqual([
          { name: "APPLICATIONINSIGHTS_CONNECTION_STRING", value: CONNECTION_STRING },
        ]);
        expect(env.filter((e) => e.value === undefined)).toEqual([
          {
            name: "COSMOS_KEY",
            valueFrom: { secretKeyRef: { name: "serving-store", key: "cosmos-key" } },
          },
        ]);
      }
    });

    it("parses with the serving-config schema back to the variant's config, with and without the secret", async () => {
      const { variantConfig } = await import("./serving-stack.js");
      for (const variant of ["champion", "challenger"] as const) {
        const env = envOf(variant);
        const expected = {
          ...variantConfig(servingConfig, variant, 10),
          appInsights: { ...servingConfig.appInsights, connectionString: CONNECTION_STRING },
        };
        // Before the Secret is read (or where it lacks the key) the store signs in with Entra ID.
        expect(parseServingConfig(resolve(env, {}))).toEqual(expected);
        const withSecret = parseServingConfig(resolve(env, { "cosmos-key": "emulator-key" }));
        expect(withSecret).toEqual({
          ...expected,
          store: { ...expected.store, key: "emulator-key" },
        });
        expect(withSecret).toMatchObject({ mode: "single", variant, challengerWeight: 10 });
        const container = containersOf(
          one(kedaStack, "kubernetes:apps/v1:Deployment", `serving-${variant}`),
        )[0];
        expect(container.ports[0].containerPort).toBe(withSecret.port);
      }
    });
  });

  it("creates the ServiceAccounts servingServiceAccounts() promises, and runs the pods as them", async () => {
    const { servingServiceAccounts } = await import("./serving-stack.js");
    const created = byType(kedaStack, "kubernetes:core/v1:ServiceAccount").map((r) => ({
      namespace: r.inputs.metadata.namespace,
      name: r.inputs.metadata.name,
    }));
    expect(created).toEqual(servingServiceAccounts("serving", "ml-serving"));
    for (const variant of ["champion", "challenger"]) {
      const d = one(kedaStack, "kubernetes:apps/v1:Deployment", `serving-${variant}`);
      expect(d.inputs.spec.template.spec.serviceAccountName).toBe(`serving-${variant}`);
    }
  });

  it("turns on managed-Prometheus pod-annotation scraping for the serving namespace", () => {
    const [settings] = byType(kedaStack, "kubernetes:core/v1:ConfigMap");
    expect(settings.inputs.metadata).toEqual({
      name: "ama-metrics-settings-configmap",
      namespace: "kube-system",
    });
    expect(settings.inputs.data).toEqual({
      "schema-version": "v1",
      "config-version": "ver1",
      "pod-annotation-based-scraping": 'podannotationnamespaceregex = "ml-serving"',
    });
    // The pods carry the annotations that scraping mode reads.
    for (const d of byType(kedaStack, "kubernetes:apps/v1:Deployment")) {
      expect(d.inputs.spec.template.metadata.annotations).toEqual({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8080",
        "prometheus.io/path": "/metrics",
      });
    }
  });

  it("annotates each ServiceAccount for workload identity", () => {
    for (const sa of byType(kedaStack, "kubernetes:core/v1:ServiceAccount")) {
      expect(sa.inputs.metadata.annotations).toEqual({
        "azure.workload.identity/client-id": "00000000-0000-0000-0000-00000000c11e",
        "azure.workload.identity/tenant-id": "00000000-0000-0000-0000-0000000074e7",
      });
    }
  });

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
      one(kedaStack, "kubernetes:keda.sh/v1alpha1:ScaledObject", `serving-${variant}`).inputs;

    it("scales each Deployment on its per-pod prediction rate from managed Prometheus, and CPU", () => {
      for (const variant of ["champion", "challenger"]) {
        const so = scaled(variant);
        expect(Object.keys(so.spec).sort()).toEqual([
          "advanced",
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
        expect(cpu).toEqual({
          type: "cpu",
          name: "cpu",
          metricType: "Utilization",
          metadata: { value: "70" },
        });
        expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual(
          JSON.parse(JSON.stringify(DEFAULT_SCALING.behavior)),
        );
      }
    });

    it("authenticates KEDA to Prometheus with workload identity", () => {
      const ta = one(
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

  describe("namespace", () => {
    it("enforces Pod Security restricted and denies all traffic by default", () => {
      const ns = byType(kedaStack, "kubernetes:core/v1:Namespace")[0].inputs;
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
      const deny = one(kedaStack, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny");
      expect(deny.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("allows only the ingress controller and the metrics agent in, DNS and HTTPS out", () => {
      const policy = (name: string) =>
        one(kedaStack, "kubernetes:networking.k8s.io/v1:NetworkPolicy", name).inputs.spec;
      expect(policy("allow-ingress-controller").ingress).toEqual([
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": "app-routing-system" },
              },
            },
          ],
          ports: [{ protocol: "TCP", port: 8080 }],
        },
      ]);
      expect(policy("allow-azure-egress").egress).toEqual([
        {
          to: [{ ipBlock: { cidr: "10.20.8.0/24" } }, { ipBlock: { cidr: "20.50.0.0/16" } }],
          ports: [{ protocol: "TCP", port: 443 }],
        },
      ]);
      expect(policy("allow-dns").egress[0].ports).toEqual([
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ]);
    });

    it("sizes the quota for both arms at maximum plus rolling-update surge", () => {
      const quota = byType(kedaStack, "kubernetes:core/v1:ResourceQuota")[0].inputs.spec.hard;
      // 2 × (20 + 5 surge) pods × 500m / 1000m CPU, 1024Mi memory.
      expect(quota).toEqual({
        "requests.cpu": "25000m",
        "requests.memory": "51200Mi",
        "limits.cpu": "50000m",
        "limits.memory": "51200Mi",
        pods: "50",
      });
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

describe("ServingStack argument checks", () => {
  it("rejects bad arguments before registering any object", async () => {
    const { ServingStack } = await import("./serving-stack.js");
    const provider = new k8s.Provider("aks-bad", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
    const cases: [Partial<ServingStackArgs>, string][] = [
      [
        { canary: { rules: [{ host: "api.ml.example.com" }], weight: 101 } },
        "canaryWeight: 101 must be an integer in 0-100",
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
    const provider = new k8s.Provider("aks-fixed", {
      kubeconfig: "apiVersion: v1\nkind: Config\n",
    });
    resetRegistered();
    new ModelDeployment("fixed-champion", {
      provider,
      namespace: "ml-serving",
      image: `registry.example/mlops/serving${DIGEST}`,
      servingConfig: variantConfig(servingConfig, "champion", 0),
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
