// Mocks first: resources must not be created before `setMocks` has run.
import { AB_TEST_ENV_VARS, parseServingConfig } from "@mlops/contracts";
import type * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import {
  installMocks,
  type Registered,
  registered,
  resetRegistered,
  settle,
  validateObject,
} from "../test-support/index.js";
import { byType, k8sObjects, mockProvider } from "../test-support/serving-stack-fixture.js";
import type { GarchServiceArgs } from "./garch-service.js";

installMocks({ project: "mlops", stack: "test" });

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";

const GARCH_ENV = {
  MLOPS_MODE: "garch",
  MLOPS_GARCH_MODEL: "dem2gbp@champion",
  MLOPS_STORE: "cosmos",
  COSMOS_ENDPOINT: "https://mlops-prod.documents.azure.com:443/",
};
const servingConfig = parseServingConfig(GARCH_ENV);
/** The GARCH service as the prod program configures it: API keys from Key Vault, ops paths hidden. */
const guardedConfig = parseServingConfig({
  ...GARCH_ENV,
  MLOPS_AUTH: "api-keys",
  MLOPS_SECRETS_DIR: "/mnt/secrets-store",
  MLOPS_OPS_INTERNAL_ONLY: "true",
});
const keyVaultSecrets = {
  vaultName: "kv-mlops-prod",
  tenantId: "00000000-0000-0000-0000-0000000000aa",
  clientId: "00000000-0000-0000-0000-00000000c11e",
  secrets: [
    { vaultName: "serving-api-key-1", file: "api-key-1" },
    { vaultName: "serving-api-key-2", file: "api-key-2" },
  ],
};

/** The App Insights connection string, a deployed value but no credential: plain env. */
const CONNECTION_STRING = "InstrumentationKey=00000000-0000-0000-0000-000000000001";

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
    deployedEnv: { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING },
    ...overrides,
  };
}

let GarchService: typeof import("./garch-service.js").GarchService;
let garchEdgeServiceAccount: typeof import("./garch-service.js").garchEdgeServiceAccount;
let provider: k8s.Provider;

/** Renders one GarchService and returns its Kubernetes objects. */
async function render(overrides: Partial<GarchServiceArgs> = {}): Promise<Registered[]> {
  resetRegistered();
  new GarchService("garch", garchArgs(provider, overrides));
  await settle();
  return k8sObjects([...registered]);
}

let onGateway: Registered[];
let onNginx: Registered[];
let withTls: Registered[];
let guarded: Registered[];

beforeAll(async () => {
  ({ GarchService, garchEdgeServiceAccount } = await import("./garch-service.js"));
  provider = mockProvider();
  onGateway = await render();
  onNginx = await render({ route: { kind: "nginx-canary" } });
  withTls = await render({
    route: {
      certificateUri: "https://kv-certs.vault.azure.net/certificates/garch-ml-example-com",
      edge: {
        identityClientId: "00000000-0000-0000-0000-0000000000ed",
        dnsZoneResourceId:
          "/subscriptions/s/resourceGroups/dns/providers/Microsoft.Network/dnszones/ml.example.com",
      },
    },
  });
  guarded = await render({ servingConfig: guardedConfig, keyVaultSecrets });
});

describe("GarchService", () => {
  it("validates every Kubernetes object against its schema, on both data planes", () => {
    for (const objects of [onGateway, onNginx]) {
      expect(objects.length).toBeGreaterThan(8);
      for (const o of objects) expect(() => validateObject(o.type, o.inputs), o.name).not.toThrow();
    }
  });

  it("runs the serving image in garch mode with probes, resources and no fixed replica count", () => {
    const [deployment] = byType(onGateway, "kubernetes:apps/v1:Deployment");
    expect(deployment!.inputs.spec.replicas).toBeUndefined();
    const [container] = deployment!.inputs.spec.template.spec.containers;
    const env = Object.fromEntries(
      container.env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ MLOPS_MODE: "garch", MLOPS_GARCH_MODEL: "dem2gbp@champion" });
    // The A/B test settings are the prediction API's: the service would refuse them.
    const names = container.env.map((e: { name: string }) => e.name);
    for (const name of AB_TEST_ENV_VARS) expect(names).not.toContain(name);
    // The config as rendered, with the deployed connection string in place of the config's none.
    expect(parseServingConfig(env)).toEqual({
      ...servingConfig,
      appInsights: { ...servingConfig.appInsights, connectionString: CONNECTION_STRING },
    });
    // No service-link variables (an mlops-… Service would inject MLOPS_… ones it refuses).
    expect(deployment!.inputs.spec.template.spec.enableServiceLinks).toBe(false);
    expect(container.livenessProbe.httpGet.path).toBe("/health/live");
    expect(container.readinessProbe.httpGet.path).toBe("/health/ready");
    expect(container.resources).toEqual({
      requests: { cpu: "500m", memory: "512Mi" },
      limits: { cpu: "1000m", memory: "512Mi" },
    });
  });

  it("autoscales on CPU utilisation at 70 % between 2 and 10 pods", () => {
    const [hpa] = byType(onGateway, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
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

  it("routes its own host on the Gateway, the contract's paths only (/health exactly), all to its Service", () => {
    const [gateway] = byType(onGateway, GATEWAY);
    expect(gateway!.inputs.metadata.namespace).toBe("garch-gateway");
    const routes = byType(onGateway, ROUTE);
    expect(routes).toHaveLength(1);
    const spec = routes[0]!.inputs.spec;
    expect(spec.hostnames).toEqual(["garch.ml.example.com"]);
    // `/health` alone (the probes' /health/live and /health/ready stay in the cluster);
    // `/predict` covers `/predict/custom`.
    const paths = new Set(
      spec.rules.flatMap((r: { matches: { path: { type: string; value: string } }[] }) =>
        r.matches.map((m) => `${m.path.type} ${m.path.value}`),
      ),
    );
    expect(paths).toEqual(
      new Set(["Exact /health", "PathPrefix /models/list", "PathPrefix /predict"]),
    );
    // One arm: every backend is the GARCH Service, and nothing is weighted elsewhere.
    for (const rule of spec.rules) {
      for (const ref of rule.backendRefs as { name: string; weight: number }[]) {
        expect(ref.name).toBe("garch");
      }
    }
    // The Gateway's proxies may reach the pods.
    const policies = byType(onGateway, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(JSON.stringify(policies)).toContain("garch-gateway");
  });

  it("with TLS, creates the edge ServiceAccount an identity is federated with beforehand", () => {
    const { namespace, name } = garchEdgeServiceAccount("garch", "garch");
    const accounts = byType(withTls, "kubernetes:core/v1:ServiceAccount").map(
      (r) => r.inputs.metadata,
    );
    expect(accounts).toContainEqual(expect.objectContaining({ namespace, name }));
    for (const r of withTls) {
      expect(() => validateObject(r.type, r.inputs), `${r.type} ${r.name}`).not.toThrow();
    }
  });

  it("routes the same paths, /health exactly, through the NGINX Ingress when the stack runs nginx-canary", () => {
    const ingresses = byType(onNginx, INGRESS);
    expect(ingresses.length).toBeGreaterThan(0);
    expect(byType(onNginx, GATEWAY)).toEqual([]);
    const paths = new Set(
      ingresses.flatMap((i) =>
        i.inputs.spec.rules.flatMap(
          (r: { http: { paths: { path: string; pathType: string }[] } }) =>
            r.http.paths.map((p) => `${p.pathType} ${p.path}`),
        ),
      ),
    );
    expect(paths).toEqual(new Set(["Exact /health", "Prefix /models/list", "Prefix /predict"]));
  });

  it("labels its route objects as the GARCH service's public paths, for the policy pack", () => {
    for (const route of [...byType(onGateway, ROUTE), ...byType(onNginx, INGRESS)]) {
      expect(route.inputs.metadata.labels, route.name).toEqual({
        "mlops.platform/public-paths": "garch",
      });
    }
  });

  it("guards its predictions like the API's: the edge env, and Key Vault's keys mounted with its identity", () => {
    const [spc] = byType(guarded, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
    expect(spc!.inputs).toMatchObject({
      metadata: { name: "garch-key-vault", namespace: "garch" },
      spec: {
        provider: "azure",
        parameters: {
          clientID: keyVaultSecrets.clientId,
          keyvaultName: keyVaultSecrets.vaultName,
          tenantId: keyVaultSecrets.tenantId,
        },
      },
    });
    const [deployment] = byType(guarded, "kubernetes:apps/v1:Deployment");
    expect(() => validateObject(deployment!.type, deployment!.inputs)).not.toThrow();
    const pod = deployment!.inputs.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: "key-vault",
      csi: {
        driver: "secrets-store.csi.k8s.io",
        readOnly: true,
        volumeAttributes: { secretProviderClass: "garch-key-vault" },
      },
    });
    const [container] = pod.containers;
    expect(container.volumeMounts).toContainEqual({
      name: "key-vault",
      mountPath: "/mnt/secrets-store",
      readOnly: true,
    });
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      MLOPS_AUTH: "api-keys",
      MLOPS_SECRETS_DIR: "/mnt/secrets-store",
      MLOPS_OPS_INTERNAL_ONLY: "true",
    });
    // Without secrets nothing is mounted, and no class exists.
    expect(
      byType(onGateway, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"),
    ).toEqual([]);
  });

  it("refuses a secrets directory with nothing mounted there, and secrets it could not mount", () => {
    expect(
      () => new GarchService("bad", garchArgs(provider, { servingConfig: guardedConfig })),
    ).toThrow("keyVaultMount: must mount the Key Vault secrets at MLOPS_SECRETS_DIR");
    expect(
      () =>
        new GarchService(
          "bad",
          garchArgs(provider, {
            servingConfig: guardedConfig,
            keyVaultSecrets: { ...keyVaultSecrets, secrets: [] },
          }),
        ),
    ).toThrow("keyVaultSecrets.secrets: name at least one secret");
  });

  it("gets its own namespace with a quota that fits 10 pods and their rolling-update surge", () => {
    const [quota] = byType(onGateway, "kubernetes:core/v1:ResourceQuota");
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
    ).toThrow("scaling.maxReplicas: 2 must be an integer in 3-150000");
    expect(
      () =>
        new GarchService(
          "bad",
          garchArgs(provider, {
            scaling: { minReplicas: 2, maxReplicas: 1e10, cpuUtilizationPercent: 70 },
          }),
        ),
    ).toThrow("scaling.maxReplicas: 10000000000 must be an integer in 2-150000");
    expect(() => new GarchService("bad", garchArgs(provider, { host: "Not A Host" }))).toThrow(
      /host:/,
    );
  });

  it("refuses A/B test settings among the deployed variables, naming the variable and the rule", () => {
    expect(
      () =>
        new GarchService(
          "bad",
          garchArgs(provider, { deployedEnv: { MLOPS_EXPERIMENT_ID: "classifier-v8-rollout" } }),
        ),
    ).toThrow(
      "deployedEnv.MLOPS_EXPERIMENT_ID: only the prediction API reads it; the GARCH service runs no experiment",
    );
  });
});
