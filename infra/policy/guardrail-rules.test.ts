import { describe, expect, it } from "vitest";
import {
  acrUntaggedRetentionOff,
  artifactBlobsRecoverable,
  diagnosticsToLogAnalytics,
  logAnalyticsDailyCap,
  monthlyBudgetAlerts,
  statefulResourcesLocked,
} from "./guardrail-rules.js";
import { keyOf, type PolicyResource } from "./rule-kit.js";

/** A resource of type `azure-native:<type>` named `name`, depending on `on`. */
const r = (
  type: string,
  name: string,
  props: Record<string, unknown> = {},
  on: readonly PolicyResource[] = [],
): PolicyResource => ({
  type: `azure-native:${type}`,
  name,
  props,
  dependencies: on.map(keyOf),
});

const workspace = r("operationalinsights:Workspace", "logs");
const actionGroup = r("monitor:ActionGroup", "oncall");
const cosmos = r("cosmosdb:DatabaseAccount", "cosmos");
const vault = r("keyvault:Vault", "kv");
const account = r("storage:StorageAccount", "artifacts");
const ml = r("machinelearningservices:Workspace", "ml");

const lock = (target: PolicyResource, level = "CanNotDelete") =>
  r("authorization:ManagementLockByScope", `lock-${target.name}`, { level }, [target]);
const diagnostics = (
  target: PolicyResource,
  logs = [{ categoryGroup: "allLogs", enabled: true }],
) => r("monitor:DiagnosticSetting", `diag-${target.name}`, { logs }, [target, workspace]);
const activityLog = (categories: readonly string[]) =>
  r(
    "monitor:SubscriptionDiagnosticSetting",
    "activity",
    { logs: categories.map((category) => ({ category, enabled: true })) },
    [workspace],
  );
const notification = (threshold: number) => ({
  enabled: true,
  operator: "GreaterThanOrEqualTo",
  threshold,
  thresholdType: "Actual",
  contactEmails: [],
  contactGroups: [
    "/subscriptions/s/resourceGroups/g/providers/microsoft.insights/actionGroups/oncall",
  ],
});
const budget = (notifications: Record<string, unknown>, props: Record<string, unknown> = {}) =>
  r(
    "consumption:Budget",
    "budget",
    { category: "Cost", amount: 12000, timeGrain: "Monthly", notifications, ...props },
    [actionGroup],
  );
const blobService = (props: Record<string, unknown>) =>
  r(
    "storage:BlobServiceProperties",
    "blobs",
    {
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 30 },
      containerDeleteRetentionPolicy: { enabled: true, days: 30 },
      ...props,
    },
    [account],
  );

describe("stateful-resources-locked", () => {
  const targets = [cosmos, vault, account];

  it("passes when each Cosmos account, vault and storage account has a CanNotDelete lock", () => {
    expect(statefulResourcesLocked.check([...targets, ...targets.map((t) => lock(t))])).toEqual([]);
  });

  it("fails the resource whose lock is missing, or only a lock of another level", () => {
    expect(statefulResourcesLocked.check([...targets, lock(cosmos), lock(account)])).toEqual([
      "kv: no CanNotDelete lock (ManagementLockByScope) protects it",
    ]);
    expect(
      statefulResourcesLocked.check([
        ...targets,
        lock(cosmos),
        lock(vault, "ReadOnly"),
        lock(account),
      ]),
    ).toEqual(["kv: no CanNotDelete lock (ManagementLockByScope) protects it"]);
  });
});

describe("diagnostics-to-log-analytics", () => {
  const targets = [cosmos, vault, account, ml];
  const compliant = [
    workspace,
    ...targets,
    ...targets.map((t) => diagnostics(t)),
    activityLog(["Administrative", "Security", "Policy", "ServiceHealth"]),
  ];

  it("passes resource logs of every kind and the activity log sent to a workspace", () => {
    expect(diagnosticsToLogAnalytics.check(compliant)).toEqual([]);
  });

  it("fails a resource without a setting, one with every log off, and a partial activity log", () => {
    const withoutMl = compliant.filter((x) => x.name !== "diag-ml");
    expect(diagnosticsToLogAnalytics.check(withoutMl)).toEqual([
      "ml: no diagnostic setting sends its logs to Log Analytics",
    ]);
    const logsOff = compliant.map((x) =>
      x.name === "diag-kv" ? diagnostics(vault, [{ categoryGroup: "allLogs", enabled: false }]) : x,
    );
    expect(diagnosticsToLogAnalytics.check(logsOff)).toEqual([
      "kv: no diagnostic setting sends its logs to Log Analytics",
    ]);
    const partial = compliant.map((x) =>
      x.name === "activity" ? activityLog(["Administrative", "ServiceHealth"]) : x,
    );
    expect(diagnosticsToLogAnalytics.check(partial)).toEqual([
      "stack: the subscription activity log's Security, Policy categories reach no Log Analytics workspace",
    ]);
  });
});

describe("monthly-budget-alerts", () => {
  const alerts = { a80: notification(80), a100: notification(100) };

  it("passes a monthly cost budget alerting its action group at 80 and 100 %", () => {
    expect(monthlyBudgetAlerts.check([actionGroup, budget(alerts)])).toEqual([]);
  });

  it("fails no budget, a yearly one, and one missing the 100 % alert or its action group", () => {
    expect(monthlyBudgetAlerts.check([actionGroup])).toEqual([
      "stack: no monthly Cost budget notifies an action group",
    ]);
    expect(
      monthlyBudgetAlerts.check([actionGroup, budget(alerts, { timeGrain: "Annually" })]),
    ).toEqual(["stack: no monthly Cost budget notifies an action group"]);
    expect(monthlyBudgetAlerts.check([actionGroup, budget({ a80: notification(80) })])).toEqual([
      "stack: no monthly budget alerts its action group at 100 % of actual cost",
    ]);
    const emailOnly = { ...notification(100), contactGroups: [] };
    expect(
      monthlyBudgetAlerts.check([actionGroup, budget({ a80: notification(80), a100: emailOnly })]),
    ).toEqual(["stack: no monthly budget alerts its action group at 100 % of actual cost"]);
  });
});

describe("artifact-blobs-recoverable", () => {
  it("passes soft delete for blobs and containers with versioning", () => {
    expect(artifactBlobsRecoverable.check([account, blobService({})])).toEqual([]);
  });

  it("fails a storage account without blob settings, without versioning, or with too short a window", () => {
    expect(artifactBlobsRecoverable.check([account])).toEqual([
      "artifacts: no blob service properties turn on soft delete and versioning",
    ]);
    expect(
      artifactBlobsRecoverable.check([
        account,
        blobService({
          isVersioningEnabled: false,
          deleteRetentionPolicy: { enabled: true, days: 1 },
        }),
      ]),
    ).toEqual([
      "blobs: isVersioningEnabled must be true (an overwritten artifact keeps its old version)",
      "blobs: deleteRetentionPolicy.days must be at least 7",
    ]);
  });
});

describe("log-analytics-daily-cap", () => {
  it("passes a workspace with a positive daily cap", () => {
    expect(
      logAnalyticsDailyCap.check(
        r("operationalinsights:Workspace", "logs", { workspaceCapping: { dailyQuotaGb: 50 } }),
      ),
    ).toEqual([]);
  });

  it("fails no cap and the unlimited -1", () => {
    const message =
      "logs: workspaceCapping.dailyQuotaGb must be a positive cap (unset or -1 is unlimited)";
    expect(logAnalyticsDailyCap.check(workspace)).toEqual([message]);
    expect(
      logAnalyticsDailyCap.check(
        r("operationalinsights:Workspace", "logs", { workspaceCapping: { dailyQuotaGb: -1 } }),
      ),
    ).toEqual([message]);
  });
});

describe("acr-untagged-retention-off", () => {
  const registry = (policies: unknown) =>
    r("containerregistry:Registry", "acr", policies === undefined ? {} : { policies });

  it("passes a registry that keeps untagged manifests", () => {
    expect(
      acrUntaggedRetentionOff.check(registry({ retentionPolicy: { status: "disabled" } })),
    ).toEqual([]);
  });

  it("fails a retention policy that purges them, and an unstated choice", () => {
    const message =
      'acr: policies.retentionPolicy.status must be "disabled" (a digest-pinned image whose tag moved would be deleted)';
    expect(
      acrUntaggedRetentionOff.check(registry({ retentionPolicy: { status: "enabled", days: 7 } })),
    ).toEqual([message]);
    expect(acrUntaggedRetentionOff.check(registry(undefined))).toEqual([message]);
  });
});
