/**
 * Guardrails around the estate's state and cost: locks, diagnostic settings, the Log Analytics
 * daily cap, the monthly budget, recoverable artifact blobs and the registry's retention choice.
 * Stack rules find the resources that guard another through dependencies (a lock depends on what
 * it locks), so they hold in a preview, where ids of resources still to create are unknown; they
 * read only properties the program sets as literals.
 */
import {
  dependsOn,
  dependsOnType,
  flagBreaches,
  get,
  type PolicyResource,
  type ResourceRule,
  type StackRule,
} from "./rule-kit.js";

const COSMOS = "azure-native:cosmosdb:DatabaseAccount";
const VAULT = "azure-native:keyvault:Vault";
const STORAGE = "azure-native:storage:StorageAccount";
const ML_WORKSPACE = "azure-native:machinelearningservices:Workspace";
const LOCK = "azure-native:authorization:ManagementLockByScope";
const DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting";
const ACTIVITY_LOG_SETTING = "azure-native:monitor:SubscriptionDiagnosticSetting";
const LOG_ANALYTICS = "azure-native:operationalinsights:Workspace";
const BUDGET = "azure-native:consumption:Budget";
const ACTION_GROUP = "azure-native:monitor:ActionGroup";
const BLOB_SERVICE = "azure-native:storage:BlobServiceProperties";

const ofType = (resources: readonly PolicyResource[], types: readonly string[]) =>
  resources.filter((r) => types.includes(r.type));

/** True when `entries` (a diagnostic setting's `logs`) turns at least one log on. */
const anyLogEnabled = (entries: unknown): boolean =>
  Array.isArray(entries) && entries.some((e) => get(e, ["enabled"]) === true);

export const statefulResourcesLocked: StackRule = {
  name: "stateful-resources-locked",
  description:
    "Cosmos DB accounts, Key Vaults and storage accounts carry a CanNotDelete lock, so no one deletes the platform's state by accident.",
  check: (resources) => {
    const locks = resources.filter((r) => r.type === LOCK && r.props.level === "CanNotDelete");
    return ofType(resources, [COSMOS, VAULT, STORAGE])
      .filter((target) => !locks.some((lock) => dependsOn(lock, target)))
      .map((target) => `${target.name}: no CanNotDelete lock (ManagementLockByScope) protects it`);
  },
};

/** The activity log categories an audit needs at the least. */
export const REQUIRED_ACTIVITY_LOG_CATEGORIES = ["Administrative", "Security", "Policy"] as const;

export const diagnosticsToLogAnalytics: StackRule = {
  name: "diagnostics-to-log-analytics",
  description:
    "Cosmos DB, Key Vault, storage and the ML workspace send their resource logs to Log Analytics, and so does the subscription's activity log.",
  check: (resources) => {
    const toWorkspace = (r: PolicyResource) => dependsOnType(r, LOG_ANALYTICS, resources);
    const settings = resources.filter(
      (r) => r.type === DIAGNOSTIC_SETTING && toWorkspace(r) && anyLogEnabled(r.props.logs),
    );
    const missing = ofType(resources, [COSMOS, VAULT, STORAGE, ML_WORKSPACE])
      .filter((target) => !settings.some((s) => dependsOn(s, target)))
      .map((target) => `${target.name}: no diagnostic setting sends its logs to Log Analytics`);
    const activity = resources.filter((r) => r.type === ACTIVITY_LOG_SETTING && toWorkspace(r));
    const covered = (category: string) =>
      activity.some(
        (s) =>
          Array.isArray(s.props.logs) &&
          s.props.logs.some(
            (l) => get(l, ["category"]) === category && get(l, ["enabled"]) === true,
          ),
      );
    const uncovered = REQUIRED_ACTIVITY_LOG_CATEGORIES.filter((c) => !covered(c));
    return uncovered.length === 0
      ? missing
      : [
          ...missing,
          `stack: the subscription activity log's ${uncovered.join(", ")} categories reach no Log Analytics workspace`,
        ];
  },
};

/** The actual-spend percentages the budget must alert at. */
export const REQUIRED_BUDGET_ALERTS = [80, 100] as const;

export const monthlyBudgetAlerts: StackRule = {
  name: "monthly-budget-alerts",
  description: "A monthly cost budget alerts an action group at 80 % and at 100 % of actual spend.",
  check: (resources) => {
    const budgets = resources.filter(
      (r) =>
        r.type === BUDGET &&
        r.props.timeGrain === "Monthly" &&
        r.props.category === "Cost" &&
        typeof r.props.amount === "number" &&
        r.props.amount > 0 &&
        dependsOnType(r, ACTION_GROUP, resources),
    );
    const alertsAt = (budget: PolicyResource, percent: number) =>
      Object.values((budget.props.notifications ?? {}) as Record<string, unknown>).some(
        (n) =>
          get(n, ["enabled"]) === true &&
          get(n, ["threshold"]) === percent &&
          (get(n, ["thresholdType"]) ?? "Actual") === "Actual" &&
          Array.isArray(get(n, ["contactGroups"])) &&
          (get(n, ["contactGroups"]) as unknown[]).length > 0,
      );
    if (budgets.length === 0) {
      return ["stack: no monthly Cost budget notifies an action group"];
    }
    const missing = REQUIRED_BUDGET_ALERTS.filter((p) => !budgets.some((b) => alertsAt(b, p)));
    return missing.length === 0
      ? []
      : [
          `stack: no monthly budget alerts its action group at ${missing.join(" % and ")} % of actual cost`,
        ];
  },
};

/** Fewest days deleted blobs must stay recoverable. */
export const MIN_SOFT_DELETE_DAYS = 7;

export const artifactBlobsRecoverable: StackRule = {
  name: "artifact-blobs-recoverable",
  description:
    "Storage accounts keep deleted blobs and containers recoverable and version overwritten blobs (a lock on the account does not reach its blobs).",
  check: (resources) => {
    const protectedBy = (account: PolicyResource) =>
      resources.filter((r) => r.type === BLOB_SERVICE && dependsOn(r, account));
    return ofType(resources, [STORAGE]).flatMap((account) => {
      const services = protectedBy(account);
      if (services.length === 0) {
        return [`${account.name}: no blob service properties turn on soft delete and versioning`];
      }
      return services.flatMap((service) => {
        const days = get(service.props, ["deleteRetentionPolicy", "days"]);
        const breaches = flagBreaches(service.name, service.props, [
          {
            path: ["isVersioningEnabled"],
            value: true,
            why: "an overwritten artifact keeps its old version",
          },
          {
            path: ["deleteRetentionPolicy", "enabled"],
            value: true,
            why: "a deleted artifact stays recoverable",
          },
          {
            path: ["containerDeleteRetentionPolicy", "enabled"],
            value: true,
            why: "a deleted container stays recoverable",
          },
        ]);
        return typeof days === "number" && days >= MIN_SOFT_DELETE_DAYS
          ? breaches
          : [
              ...breaches,
              `${service.name}: deleteRetentionPolicy.days must be at least ${MIN_SOFT_DELETE_DAYS}`,
            ];
      });
    });
  },
};

export const logAnalyticsDailyCap: ResourceRule = {
  name: "log-analytics-daily-cap",
  description:
    "Log Analytics workspaces have a daily ingestion cap, so runaway volume cannot run up the bill.",
  check: (r) => {
    if (r.type !== LOG_ANALYTICS) return [];
    const cap = get(r.props, ["workspaceCapping", "dailyQuotaGb"]);
    return typeof cap === "number" && cap > 0
      ? []
      : [
          `${r.name}: workspaceCapping.dailyQuotaGb must be a positive cap (unset or -1 is unlimited)`,
        ];
  },
};

export const acrUntaggedRetentionOff: ResourceRule = {
  name: "acr-untagged-retention-off",
  description:
    "Registries keep untagged manifests: the serving components accept images pinned by digest, which a retention policy would purge.",
  check: (r) =>
    r.type !== "azure-native:containerregistry:Registry" ||
    get(r.props, ["policies", "retentionPolicy", "status"]) === "disabled"
      ? []
      : [
          `${r.name}: policies.retentionPolicy.status must be "disabled" (a digest-pinned image whose tag moved would be deleted)`,
        ],
};

/** The rules of this module, by kind. */
export const guardrailRules: { resource: readonly ResourceRule[]; stack: readonly StackRule[] } = {
  resource: [logAnalyticsDailyCap, acrUntaggedRetentionOff],
  stack: [
    statefulResourcesLocked,
    diagnosticsToLogAnalytics,
    monthlyBudgetAlerts,
    artifactBlobsRecoverable,
  ],
};
