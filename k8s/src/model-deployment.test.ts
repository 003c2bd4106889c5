import { parseServingConfig, type ServingConfig } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import {
  containerEnv,
  type ModelDeploymentArgs,
  podTemplate,
  selectorLabels,
  TMP_SIZE_LIMIT,
  terminationGraceSeconds,
  validateModelDeploymentArgs,
} from "./model-deployment.js";

const single: ServingConfig = parseServingConfig({
  MLOPS_MODE: "single",
  MLOPS_VARIANT: "challenger",
  MLOPS_CHALLENGER_MODEL: "classifier@8",
});

/** A config holding a credential: the Cosmos DB account key (the emulator's way in). */
const withKey: ServingConfig = parseServingConfig({
  MLOPS_MODE: "single",
  MLOPS_VARIANT: "challenger",
  MLOPS_STORE: "cosmos",
  COSMOS_ENDPOINT: "https://127.0.0.1:8081/",
  COSMOS_KEY: "emulator-key",
});

const base: ModelDeploymentArgs = {
  provider: undefined as never,
  namespace: "ml-serving",
  image: "registry.example/mlops/serving:8-3f9c2ab",
  servingConfig: single,
  workloadIdentity: { clientId: "client" },
};

describe("validateModelDeploymentArgs", () => {
  const check =
    (patch: Partial<ModelDeploymentArgs>, name = "serving-challenger") =>
    () =>
      validateModelDeploymentArgs(name, { ...base, ...patch });

  it("accepts a single-variant config with a pinned image", () => {
    expect(check({})).not.toThrow();
  });

  it("names the field and the rule", () => {
    expect(check({}, "Serving")).toThrow('name: "Serving" must be a DNS-1123 label');
    expect(check({}, "x".repeat(64))).toThrow("must be 1-63 characters long");
    expect(check({ image: "registry.example/mlops/serving:latest" })).toThrow(
      'image: "registry.example/mlops/serving:latest" must be pinned by digest',
    );
    expect(check({ servingConfig: parseServingConfig({}) })).toThrow(
      'servingConfig.mode: "split" must be "single" with a variant on Kubernetes (one Deployment per arm)',
    );
    expect(check({ servingConfig: withKey })).toThrow(
      "secretEnv: must source COSMOS_KEY because servingConfig sets it; credentials come from a Secret, never a plain env value",
    );
    expect(
      check({ secretEnv: { secretName: "s", keys: { MLOPS_EXPERIMENT_ID: "experiment" } } }),
    ).toThrow("secretEnv.keys.MLOPS_EXPERIMENT_ID: not a credential variable");
    expect(
      check({
        secretEnv: { secretName: "s", keys: { APPLICATIONINSIGHTS_CONNECTION_STRING: "cs" } },
      }),
    ).toThrow("secretEnv.keys.APPLICATIONINSIGHTS_CONNECTION_STRING: not a credential variable");
    expect(check({ secretEnv: { secretName: "s", keys: { COSMOS_KEY: "a/b" } } })).toThrow(
      'secretEnv.keys.COSMOS_KEY: "a/b" must be a Secret key',
    );
    expect(check({ deployedEnv: { COSMOS_KEY: "k" } })).toThrow(
      "deployedEnv.COSMOS_KEY: a credential comes from a Secret (secretEnv), never a plain value",
    );
    expect(check({ deployedEnv: { APPINSIGHTS_KEY: "k" } })).toThrow(
      "deployedEnv.APPINSIGHTS_KEY: not a variable the server reads (see SERVING_ENV)",
    );
    expect(check({ secretEnv: { secretName: "s", keys: {} } })).toThrow(
      "secretEnv.keys: must name at least one variable",
    );
    expect(check({ drainSeconds: -1 })).toThrow("drainSeconds: -1 must be an integer in 0-300");
    // terminationGracePeriodSeconds is an int64, but a drain this long only stalls rollouts.
    expect(check({ drainSeconds: 1e21 })).toThrow(
      "drainSeconds: 1e+21 must be an integer in 0-300",
    );
    expect(check({ drainSeconds: 301 })).toThrow("drainSeconds: 301 must be an integer in 0-300");
    expect(check({ drainSeconds: 300 })).not.toThrow();
    expect(check({ healthPaths: { live: "health", ready: "/ready" } })).toThrow(
      `healthPaths.live: "health" must start with '/'`,
    );
    expect(check({ replicas: 0 })).toThrow("replicas: 0 must be an integer in 1-150000");
    // Replica counts are int32 in the API; far below that, more pods than a cluster holds.
    expect(check({ replicas: 1e10 })).toThrow(
      "replicas: 10000000000 must be an integer in 1-150000",
    );
    expect(check({ replicas: 3, autoscaling: {} })).toThrow(
      "replicas: leave unset when autoscaling is set; the autoscaler owns the count",
    );
    expect(
      check({
        resources: {
          requests: { cpuMillis: 500, memoryMiB: 2048 },
          limits: { cpuMillis: 500, memoryMiB: 1024 },
        },
      }),
    ).toThrow("resources.limits.memoryMiB: 1024 must be >= requests.memoryMiB (2048)");
  });
});

describe("containerEnv", () => {
  it("is exactly the contracts rendering, and parses back to the config", () => {
    const env = containerEnv(single, undefined);
    expect(env.every((e) => e.valueFrom === undefined)).toBe(true);
    const parsed = parseServingConfig(
      Object.fromEntries(env.map((e) => [e.name, e.value as string])),
    );
    expect(parsed).toEqual(single);
  });

  const secretEnv = { secretName: "serving-secrets", keys: { COSMOS_KEY: "cosmos-key" } };
  const fromSecret = {
    name: "COSMOS_KEY",
    valueFrom: { secretKeyRef: { name: "serving-secrets", key: "cosmos-key" } },
  };

  it("reads credential variables from the Secret instead of carrying them", () => {
    const env = containerEnv(withKey, secretEnv);
    expect(env.filter((e) => e.name === "COSMOS_KEY")).toEqual([fromSecret]);
    expect(JSON.stringify(env)).not.toContain("emulator-key");
  });

  it("sources a credential from the Secret even when the config holds no value for it", () => {
    expect(single.store).toEqual({ kind: "sqlite", path: ".mlops/platform.db" });
    const env = containerEnv(single, secretEnv);
    expect(env).toContainEqual(fromSecret);
    expect(env.filter((e) => e.valueFrom !== undefined)).toHaveLength(1);
  });

  it("carries deployed values as plain env, in place of what the config renders", () => {
    const connectionString = "InstrumentationKey=abc;IngestionEndpoint=https://ingest.example/";
    const env = containerEnv(single, undefined, {
      APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
      MLOPS_EXPERIMENT_ID: "deployed-experiment",
    });
    expect(env.filter((e) => e.name === "MLOPS_EXPERIMENT_ID")).toEqual([
      { name: "MLOPS_EXPERIMENT_ID", value: "deployed-experiment" },
    ]);
    const parsed = parseServingConfig(
      Object.fromEntries(env.map((e) => [e.name, e.value as string])),
    );
    expect(parsed.appInsights.connectionString).toBe(connectionString);
    expect(parsed.experimentId).toBe("deployed-experiment");
  });
});

describe("podTemplate", () => {
  it("gives the kubelet longer than the pre-stop delay plus the server's drain", () => {
    const pod = podTemplate({ ...base, drainSeconds: 25 }, "sa", selectorLabels("champion")) as {
      spec: { terminationGracePeriodSeconds: number };
    };
    expect(pod.spec.terminationGracePeriodSeconds).toBe(terminationGraceSeconds(25));
    expect(terminationGraceSeconds(25)).toBeGreaterThan(25 + 5);
  });

  it("turns off service-link variables, which could inject MLOPS_… names the server refuses", () => {
    const pod = podTemplate(base, "sa", selectorLabels("champion")) as {
      spec: { enableServiceLinks: boolean };
    };
    expect(pod.spec.enableServiceLinks).toBe(false);
  });

  it("gives /tmp room for the Azure Monitor exporter's offline store, so an outage cannot evict", () => {
    const pod = podTemplate(base, "sa", selectorLabels("champion")) as {
      spec: { volumes: { name: string; emptyDir?: { sizeLimit: string } }[] };
    };
    const tmp = pod.spec.volumes.find((v) => v.name === "tmp");
    expect(tmp?.emptyDir?.sizeLimit).toBe(TMP_SIZE_LIMIT);
    // @azure/monitor-opentelemetry-exporter keeps up to 5e7 bytes of unsent telemetry under
    // os.tmpdir() (fileSystemPersist's maxBytesOnDisk); a pod past its emptyDir limit is evicted.
    const mebibytes = Number(/^(\d+)Mi$/.exec(TMP_SIZE_LIMIT)?.[1]);
    expect(mebibytes * 2 ** 20).toBeGreaterThan(5e7 * 1.5);
  });

  it("labels pods with the selector it is given, the variant's for a model deployment", () => {
    const selector = selectorLabels(base.servingConfig.variant!);
    const pod = podTemplate(base, "sa", selector) as {
      metadata: { labels: Record<string, string> };
    };
    expect(pod.metadata.labels).toMatchObject(selector);
    expect(pod.metadata.labels["mlops.platform/variant"]).toBe("challenger");
  });
});
