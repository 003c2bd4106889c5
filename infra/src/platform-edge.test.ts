/**
 * The prod stack's public edge under mocks, and the policy pack judging that same stack with one
 * guardrail removed at a time. (Over 450 lines on purpose: every case reads the one program
 * rendered once in `beforeAll`; split, each file would render the whole estate again.)
 */
import { EDGE_SECRETS, PUBLIC_PATHS, PUBLIC_ROUTE_LABEL } from "@mlops/contracts";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { type PolicyResource, stackViolations, violations } from "../policy/rules.js";
import {
  NODE_EGRESS_IP,
  RUNNER_EGRESS_IP,
  SUBSCRIPTION,
  TENANT,
} from "../test-support/azure-mocks.js";
import { waitsFor } from "../test-support/graph.js";
import { ofType, one, policyResources, renderBeforeAll } from "../test-support/program.js";
import { stackFileConfig } from "../test-support/stack-config.js";
import { ACTIVITY_LOG_CATEGORIES } from "./guardrails.js";

/**
 * The prod program under mocks, read for the edge and the guardrails: who reaches the cluster's
 * API server, how telemetry authenticates, what protects the stateful resources and the budget.
 */
renderBeforeAll("prod", stackFileConfig());

describe("the prod cluster's API server", () => {
  it("answers only the ranges of the stack config and the nodes' and runners' NAT addresses, with local accounts off", () => {
    const aks = one("azure-native:resources:Resource", "aks-cluster").inputs.properties;
    expect(aks.apiServerAccessProfile).toEqual({
      enablePrivateCluster: false,
      authorizedIPRanges: ["203.0.113.0/28", `${NODE_EGRESS_IP}/32`, `${RUNNER_EGRESS_IP}/32`],
    });
    expect(aks.disableLocalAccounts).toBe(true);
  });
});

describe("telemetry with Entra ID", () => {
  it("keeps Application Insights from accepting the instrumentation key alone", () => {
    const component = one("azure-native:applicationinsights:Component", "telemetry-appinsights");
    expect(component.inputs.disableLocalAuth).toBe(true);
  });

  it("lets the serving identity, and only it, publish to the component; the pods wait for that", () => {
    const publishers = ofType("azure-native:authorization:RoleAssignment").filter((r) =>
      String(r.inputs.roleDefinitionId).endsWith("/3913510d-42f4-4e42-8a64-420c390055eb"),
    );
    expect(publishers.map((r) => [r.name, r.inputs.principalId, r.inputs.principalType])).toEqual([
      ["telemetry-publisher-serving", "identity-serving-principal-id", "ServicePrincipal"],
    ]);
    expect(String(publishers[0].inputs.scope)).toMatch(/\/Component\/telemetry-appinsights$/);
    // Waiting on the stack component waits on everything in it, the Deployments included.
    expect(one("mlops:k8s:ServingStack", "serving").dependencies).toContain(
      "azure-native:authorization:RoleAssignment::telemetry-publisher-serving",
    );
  });
});

describe("guardrails of the prod stack", () => {
  const LA_WORKSPACE = "azure-native:operationalinsights:Workspace::telemetry-logs";

  it("locks Cosmos DB, the Key Vault and the artifact storage against deletion", () => {
    const locks = ofType("azure-native:authorization:ManagementLockByScope");
    expect(
      Object.fromEntries(
        locks.map((l) => [String(l.inputs.scope).split("/").slice(-2).join("/"), l.inputs.level]),
      ),
    ).toEqual({
      "DatabaseAccount/cosmos-account": "CanNotDelete",
      "Vault/vault-kv": "CanNotDelete",
      "StorageAccount/ml-storage": "CanNotDelete",
    });
  });

  it("sends Cosmos DB, Key Vault, artifact blobs and the ML workspace logs to Log Analytics", () => {
    const settings = ofType("azure-native:monitor:DiagnosticSetting");
    const byTarget = (suffix: string) => {
      const found = settings.filter((d) => String(d.inputs.resourceUri).endsWith(suffix));
      expect(found, suffix).toHaveLength(1);
      expect(found[0].dependencies).toContain(LA_WORKSPACE);
      return found[0].inputs as {
        logs: { category?: string; categoryGroup?: string }[];
        metrics: { category: string }[];
      };
    };
    expect(byTarget("/DatabaseAccount/cosmos-account").logs).toEqual([
      { categoryGroup: "allLogs", enabled: true },
    ]);
    expect(byTarget("/Vault/vault-kv").logs).toEqual([{ categoryGroup: "allLogs", enabled: true }]);
    const blobs = byTarget("/StorageAccount/ml-storage/blobServices/default");
    expect(blobs.logs.map((l) => l.category)).toEqual(["StorageWrite", "StorageDelete"]);
    expect(blobs.metrics.map((m) => m.category)).toEqual(["Transaction"]);
    expect(byTarget("/Workspace/ml-workspace").logs.map((l) => l.category)).toContain(
      "ModelsChangeEvent",
    );
  });

  it("sends the subscription's activity log, every category, to the same workspace", () => {
    const [activity] = ofType("azure-native:monitor:SubscriptionDiagnosticSetting");
    expect(activity.inputs.name).toBe("mlops-platform-prod-activity-log");
    expect(activity.dependencies).toContain(LA_WORKSPACE);
    expect((activity.inputs.logs as { category: string }[]).map((l) => l.category)).toEqual([
      ...ACTIVITY_LOG_CATEGORIES,
    ]);
  });

  it("caps Log Analytics at the daily volume of the stack config, and alerts when the cap is hit", () => {
    const logs = one("azure-native:operationalinsights:Workspace", "telemetry-logs").inputs;
    expect(logs.workspaceCapping).toEqual({ dailyQuotaGb: 50 });
    const alert = one(
      "azure-native:monitor:ScheduledQueryRule",
      "monitors-daily-cap-reached",
    ).inputs;
    expect(JSON.stringify(alert.criteria)).toContain("OverQuota");
  });

  it("budgets the month over the estate's and the nodes' resource groups, alerting the on-call at 80 and 100 %", () => {
    const budget = one("azure-native:consumption:Budget", "guardrails-budget");
    expect(budget.inputs).toMatchObject({
      scope: `/subscriptions/${SUBSCRIPTION}`,
      amount: 12000,
      category: "Cost",
      timeGrain: "Monthly",
      filter: {
        dimensions: {
          name: "ResourceGroupName",
          operator: "In",
          values: ["platform", expect.stringMatching(/^MC_platform_aks-prod-/)],
        },
      },
    });
    expect((budget.inputs.timePeriod as { startDate: string }).startDate).toMatch(
      /^\d{4}-\d{2}-01$/,
    );
    const notifications = budget.inputs.notifications as Record<string, Record<string, unknown>>;
    expect(
      Object.values(notifications)
        .map((n) => [n.threshold, n.thresholdType, n.operator])
        .sort(([a], [b]) => Number(a) - Number(b)),
    ).toEqual([
      [80, "Actual", "GreaterThanOrEqualTo"],
      [100, "Actual", "GreaterThanOrEqualTo"],
    ]);
    for (const n of Object.values(notifications)) {
      expect(n.contactGroups).toEqual([expect.stringMatching(/\/ActionGroup\/telemetry-oncall$/)]);
    }
    expect(budget.dependencies).toContain("azure-native:monitor:ActionGroup::telemetry-oncall");
  });

  it("keeps deleted or overwritten artifacts recoverable", () => {
    const blobs = one("azure-native:storage:BlobServiceProperties", "guardrails-artifact-blobs");
    expect(blobs.inputs).toMatchObject({
      accountName: expect.stringMatching(/^mlstprod/),
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 30 },
      containerDeleteRetentionPolicy: { enabled: true, days: 30 },
    });
    expect(blobs.dependencies).toContain("azure-native:storage:StorageAccount::ml-storage");
  });

  it("keeps untagged registry manifests, since the serving images may be pinned by digest", () => {
    const registry = one("azure-native:containerregistry:Registry", "registry-acr").inputs;
    expect(registry.policies).toMatchObject({ retentionPolicy: { status: "disabled" } });
  });
});

describe("the public edge of the prod stack", () => {
  type Env = { name: string; value?: string }[];
  const servingPods = () =>
    ofType("kubernetes:apps/v1:Deployment").map(
      (d) =>
        (d.inputs as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec,
    );

  const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
  type Rule = {
    matches?: { path: { type: string; value: string }; headers?: unknown[] }[];
    backendRefs?: unknown[];
  };
  /** The distinct `type path` matches route `name` forwards. */
  const forwarded = (name: string) => {
    const rules = (one(ROUTE, name).inputs.spec.rules ?? []) as Rule[];
    return [
      ...new Set(
        rules.flatMap((rule) => (rule.matches ?? []).map((m) => `${m.path.type} ${m.path.value}`)),
      ),
    ].sort();
  };

  it("publishes only each service's public paths on its public route, an arm forced by header on the API's", () => {
    // Each host's split, and its HTTP listener's redirect to HTTPS (which forwards nothing).
    expect(
      ofType(ROUTE)
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "garch-route-https-redirect",
      "garch-route-route",
      "serving-ingress-https-redirect",
      "serving-ingress-route",
    ]);
    expect(forwarded("serving-ingress-route")).toEqual(
      PUBLIC_PATHS.api.map((p) => `PathPrefix ${p.path}`).sort(),
    );
    // `/health` alone on the GARCH host: the probes' /health/live and /health/ready are not routed.
    expect(forwarded("garch-route-route")).toEqual([
      "Exact /health",
      "PathPrefix /models/list",
      "PathPrefix /predict",
    ]);
    // The GARCH route says whose allow-list it publishes; the policy pack holds it to that list.
    expect(one(ROUTE, "garch-route-route").inputs.metadata.labels).toEqual({
      [PUBLIC_ROUTE_LABEL]: "garch",
    });
    for (const name of ["serving-ingress-https-redirect", "garch-route-https-redirect"]) {
      const redirect = one(ROUTE, name).inputs.spec.rules as Rule[];
      expect(redirect.every((rule) => rule.backendRefs === undefined)).toBe(true);
    }
    expect(ofType("kubernetes:networking.k8s.io/v1:Ingress")).toEqual([]);
  });

  it("keeps the API keys and canary tokens in Key Vault and mounts them into the pods with their identity", () => {
    const secrets = ofType("azure-native:keyvault:Secret").map((r) => r.inputs);
    expect(secrets.map((p) => p.secretName).sort()).toEqual(
      EDGE_SECRETS.map((s) => s.vaultName).sort(),
    );
    for (const p of secrets) {
      // Generated values reach the state as secrets (the properties holding them with them).
      expect(p.properties).toMatchObject({
        [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      });
    }
    const aks = one("azure-native:resources:Resource", "aks-cluster").inputs.properties;
    expect((aks.addonProfiles as Record<string, unknown>).azureKeyvaultSecretsProvider).toEqual({
      enabled: true,
      config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
    });
    // One class per serving namespace: the prediction API's, and the GARCH service's.
    const classes = ofType("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
    expect(
      classes.map((c) => c.inputs.metadata).sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { name: "garch-key-vault", namespace: "garch" },
      { name: "serving-key-vault", namespace: "serving" },
    ]);
    for (const spc of classes) {
      expect(spc.inputs).toMatchObject({
        spec: { parameters: { clientID: "identity-serving-client-id", tenantId: TENANT } },
      });
      expect(spc.dependencies).toEqual(
        expect.arrayContaining(
          EDGE_SECRETS.map((s) => `azure-native:keyvault:Secret::edge-${s.file}`),
        ),
      );
    }
    const deployments = ofType("kubernetes:apps/v1:Deployment");
    expect(deployments.map((d) => d.name).sort()).toEqual([
      "garch-deployment",
      "serving-challenger-deployment",
      "serving-champion-deployment",
    ]);
    for (const [i, pod] of servingPods().entries()) {
      const container = (pod.containers as { env: Env }[])[0]!;
      const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
      expect(env).toMatchObject({
        MLOPS_AUTH: "api-keys",
        MLOPS_SECRETS_DIR: "/mnt/secrets-store",
        MLOPS_OPS_INTERNAL_ONLY: "true",
      });
      const namespace = (deployments[i]!.inputs.metadata as { namespace: string }).namespace;
      expect(pod.volumes).toContainEqual({
        name: "key-vault",
        csi: {
          driver: "secrets-store.csi.k8s.io",
          readOnly: true,
          volumeAttributes: {
            secretProviderClass: namespace === "garch" ? "garch-key-vault" : "serving-key-vault",
          },
        },
      });
    }
  });

  it("starts every serving pod, the GARCH service's too, only once its identity may read the vault", () => {
    for (const d of ofType("kubernetes:apps/v1:Deployment")) {
      const { name, namespace } = d.inputs.metadata as { name: string; namespace: string };
      const waits = waitsFor(d);
      expect(waits, name).toContain(
        `azure-native:managedidentity:FederatedIdentityCredential::identity-serving-${namespace}-${name}`,
      );
      expect(waits, name).toContain(
        "azure-native:authorization:RoleAssignment::vault-secrets-user-serving",
      );
      const spc = namespace === "garch" ? "garch-key-vault" : "serving-key-vault";
      expect(waits, name).toContain(
        `kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass::${spc}`,
      );
    }
    const account = one("kubernetes:core/v1:ServiceAccount", "garch-service-account").inputs;
    expect(account.metadata).toMatchObject({
      name: "garch",
      namespace: "garch",
      annotations: { "azure.workload.identity/client-id": "identity-serving-client-id" },
    });
  });

  it("lets the serving identity and the deploy jobs read the vault's secrets", () => {
    const readers = ofType("azure-native:authorization:RoleAssignment")
      .filter((r) =>
        String(r.inputs.roleDefinitionId).endsWith("/4633458b-17de-408a-b874-0445c86b69e6"),
      )
      .map((r) => r.inputs.principalId);
    expect(readers).toEqual(
      expect.arrayContaining(["identity-serving-principal-id", "pipeline-deploy-principal-id"]),
    );
  });
});

describe("the policy pack on the prod stack", () => {
  const everything = () => [
    ...violations(policyResources()),
    ...stackViolations(policyResources()),
  ];
  type Change = (resources: readonly PolicyResource[]) => PolicyResource[];
  const without =
    (type: string, name: string): Change =>
    (resources) =>
      resources.filter((r) => !(r.type === `azure-native:${type}` && r.name === name));
  const patched =
    (type: string, name: string, patch: (props: Record<string, unknown>) => object): Change =>
    (resources) =>
      resources.map((r) =>
        r.type === `azure-native:${type}` && r.name === name
          ? { ...r, props: { ...r.props, ...patch(r.props) } }
          : r,
      );

  /** Sets `MLOPS_AUTH=none` on the Deployments `which` picks. */
  const withoutAuth =
    (which: (r: PolicyResource) => boolean): Change =>
    (resources) =>
      resources.map((r) => {
        if (r.type !== "kubernetes:apps/v1:Deployment" || !which(r)) return r;
        type Spec = {
          template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
        };
        const spec = structuredClone(r.props.spec) as Spec;
        for (const e of spec.template.spec.containers[0]!.env) {
          if (e.name === "MLOPS_AUTH") e.value = "none";
        }
        return { ...r, props: { ...r.props, spec } };
      });
  /** Replaces the props of the route object `name`. */
  const withRoute =
    (name: string, props: (r: PolicyResource) => Record<string, unknown>): Change =>
    (resources) =>
      resources.map((r) => (r.name === name ? { ...r, props: props(r) } : r));

  it("passes the stack as the program builds it", () => {
    expect(everything()).toEqual([]);
  });

  it.each<[string, Change, string]>([
    [
      "the lock on Cosmos DB",
      without("authorization:ManagementLockByScope", "guardrails-lock-cosmos"),
      "stateful-resources-locked",
    ],
    [
      "the lock on the Key Vault",
      without("authorization:ManagementLockByScope", "guardrails-lock-vault"),
      "stateful-resources-locked",
    ],
    [
      "the lock on the artifact storage",
      without("authorization:ManagementLockByScope", "guardrails-lock-artifacts"),
      "stateful-resources-locked",
    ],
    [
      "Cosmos DB's diagnostic setting",
      without("monitor:DiagnosticSetting", "monitors-diag-cosmos"),
      "diagnostics-to-log-analytics",
    ],
    [
      "Key Vault's diagnostic setting",
      without("monitor:DiagnosticSetting", "monitors-diag-kv"),
      "diagnostics-to-log-analytics",
    ],
    [
      "the artifact blobs' diagnostic setting",
      without("monitor:DiagnosticSetting", "monitors-diag-artifacts"),
      "diagnostics-to-log-analytics",
    ],
    [
      "the ML workspace's diagnostic setting",
      without("monitor:DiagnosticSetting", "monitors-diag-ml"),
      "diagnostics-to-log-analytics",
    ],
    [
      "the activity log setting",
      without("monitor:SubscriptionDiagnosticSetting", "guardrails-activity-log"),
      "diagnostics-to-log-analytics",
    ],
    [
      "the Log Analytics daily cap",
      patched("operationalinsights:Workspace", "telemetry-logs", () => ({
        workspaceCapping: undefined,
      })),
      "log-analytics-daily-cap",
    ],
    ["the budget", without("consumption:Budget", "guardrails-budget"), "monthly-budget-alerts"],
    [
      "the budget's 80 % alert",
      patched("consumption:Budget", "guardrails-budget", (p) => ({
        notifications: Object.fromEntries(
          Object.entries(p.notifications as object).filter(([k]) => !k.includes("-80-")),
        ),
      })),
      "monthly-budget-alerts",
    ],
    [
      "soft delete and versioning of the artifact blobs",
      without("storage:BlobServiceProperties", "guardrails-artifact-blobs"),
      "artifact-blobs-recoverable",
    ],
    [
      "the API server's authorized ranges",
      patched("resources:Resource", "aks-cluster", (p) => ({
        properties: { ...(p.properties as object), apiServerAccessProfile: undefined },
      })),
      "aks-api-server-restricted",
    ],
    [
      "App Insights' local auth off",
      patched("applicationinsights:Component", "telemetry-appinsights", () => ({
        disableLocalAuth: false,
      })),
      "app-insights-entra-only",
    ],
    [
      "the public route's allow-list",
      withRoute("serving-ingress-route", (r) => {
        const backendRefs = [{ kind: "Service", name: "serving-champion", port: 80 }];
        const wide = [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs }];
        return { ...r.props, spec: { ...(r.props.spec as object), rules: wide } };
      }),
      "public-routes-allow-listed",
    ],
    ["authentication on the serving pods", withoutAuth(() => true), "serving-pods-guarded"],
    [
      "authentication on the GARCH pods",
      withoutAuth((r) => r.name === "garch-deployment"),
      "serving-pods-guarded",
    ],
    [
      "the GARCH route's allow-list",
      withRoute("garch-route-route", (r) => ({
        ...r.props,
        spec: {
          ...(r.props.spec as object),
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: "/metrics" } }],
              backendRefs: [{ kind: "Service", name: "garch", port: 80 }],
            },
          ],
        },
      })),
      "public-routes-allow-listed",
    ],
    [
      "the GARCH route's exact /health (a prefix routes the probes' /health/live and /health/ready)",
      withRoute("garch-route-route", (r) => {
        const spec = r.props.spec as { rules: { matches: { path: { type: string } }[] }[] };
        const widened = spec.rules.map((rule) => ({
          ...rule,
          matches: rule.matches.map((m) => ({ ...m, path: { ...m.path, type: "PathPrefix" } })),
        }));
        return { ...r.props, spec: { ...spec, rules: widened } };
      }),
      "public-routes-allow-listed",
    ],
    [
      "the GARCH route's label (its paths then judged as the API's)",
      withRoute("garch-route-route", (r) => ({ ...r.props, metadata: {} })),
      "public-routes-allow-listed",
    ],
    [
      "the registry's kept untagged manifests",
      patched("containerregistry:Registry", "registry-acr", () => ({
        policies: { retentionPolicy: { status: "enabled", days: 7 } },
      })),
      "acr-untagged-retention-off",
    ],
  ])("rejects the stack without %s", (_, change, rule) => {
    const changed = change(policyResources());
    expect(changed).not.toEqual(policyResources());
    const found = [...violations(changed), ...stackViolations(changed)];
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.startsWith(`${rule}: `))).toBe(true);
  });
});
