import { parseServingConfig } from "@mlops/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, validateObject } from "../test-support/index.js";
import {
  byType,
  CONNECTION_STRING,
  containersOf,
  k8sObjects,
  objectNamed,
  renderServingStack,
  servingConfig,
} from "../test-support/serving-stack-fixture.js";
import { DEFAULT_DRAIN_SECONDS } from "./model-deployment.js";

let kedaStack: Registered[];

beforeAll(async () => {
  kedaStack = await renderServingStack("serving");
});

describe("ServingStack (KEDA, the default) under Pulumi mocks", () => {
  it("creates the expected objects, no more", () => {
    const expected: Record<string, number> = {
      "kubernetes:core/v1:Namespace": 1,
      "kubernetes:networking.k8s.io/v1:NetworkPolicy": 5,
      "kubernetes:core/v1:ResourceQuota": 1,
      "kubernetes:core/v1:LimitRange": 1,
      "kubernetes:core/v1:ServiceAccount": 2,
      "kubernetes:apps/v1:Deployment": 2,
      "kubernetes:core/v1:Service": 2,
      "kubernetes:policy/v1:PodDisruptionBudget": 2,
      "kubernetes:networking.k8s.io/v1:Ingress": 2,
      "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": 2,
      "kubernetes:keda.sh/v1alpha1:ScaledObject": 2,
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": 0,
      "kubernetes:core/v1:ConfigMap": 1,
    };
    const counts = Object.fromEntries(
      Object.keys(expected).map((type) => [type, byType(kedaStack, type).length]),
    );
    expect(counts).toEqual(expected);
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
        // No <SERVICE>_SERVICE_HOST/_PORT variables: an mlops-… Service would inject MLOPS_…
        // variables the serving process refuses.
        expect(pod.enableServiceLinks).toBe(false);
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
      containersOf(objectNamed(kedaStack, "kubernetes:apps/v1:Deployment", `serving-${variant}`))[0]
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
          ...variantConfig(servingConfig, variant, { kind: "nginx-canary", weight: 10 }),
          appInsights: { ...servingConfig.appInsights, connectionString: CONNECTION_STRING },
        };
        // Before the Secret is read (or where it lacks the key) the store signs in with Entra ID.
        expect(parseServingConfig(resolve(env, {}))).toEqual(expected);
        const withSecret = parseServingConfig(resolve(env, { "cosmos-key": "emulator-key" }));
        expect(withSecret).toEqual({
          ...expected,
          store: { ...expected.store, key: "emulator-key" },
        });
        // Each pod is told the data plane that assigns its arm, and at which weight.
        expect(withSecret).toMatchObject({
          mode: "single",
          variant,
          trafficSplit: "nginx-canary",
          challengerWeight: 10,
        });
        expect(env).toContainEqual({ name: "MLOPS_TRAFFIC_SPLIT", value: "nginx-canary" });
        // The A/B test settings, which only the prediction API reads, are the stack's.
        expect(env).toEqual(
          expect.arrayContaining([
            { name: "MLOPS_EXPERIMENT_ID", value: "classifier-v8-rollout" },
            { name: "MLOPS_CHALLENGER_WEIGHT", value: "10" },
            { name: "MLOPS_CHAMPION_MODEL", value: "classifier@7" },
            { name: "MLOPS_CHALLENGER_MODEL", value: "classifier@8" },
          ]),
        );
        const container = containersOf(
          objectNamed(kedaStack, "kubernetes:apps/v1:Deployment", `serving-${variant}`),
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
      const d = objectNamed(kedaStack, "kubernetes:apps/v1:Deployment", `serving-${variant}`);
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

  describe("namespace", () => {
    it("enforces Pod Security restricted and denies all traffic by default", () => {
      const ns = byType(kedaStack, "kubernetes:core/v1:Namespace")[0].inputs;
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
      const deny = objectNamed(
        kedaStack,
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "default-deny",
      );
      expect(deny.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("allows only the ingress controller and the metrics agent in, DNS and HTTPS out", () => {
      const policy = (name: string) =>
        objectNamed(kedaStack, "kubernetes:networking.k8s.io/v1:NetworkPolicy", name).inputs.spec;
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
