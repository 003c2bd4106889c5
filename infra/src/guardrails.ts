import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as consumption from "@pulumi/azure-native/consumption/index.js";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import * as pulumi from "@pulumi/pulumi";

/**
 * What keeps the estate from being lost or from costing more than planned: CanNotDelete locks on
 * the stateful resources, recoverable artifact blobs, the subscription's activity log in Log
 * Analytics, and a monthly budget that alerts the on-call action group. The stack's `guardrails`
 * setting (daily cap, budget) is checked by its schema in `@mlops/contracts` (stack-schema.ts).
 */

/** Percent of the monthly budget at which the action group hears about actual spend. */
export const BUDGET_ALERT_PERCENTS = [80, 100] as const;

/** Days deleted artifact blobs, their versions and their containers stay recoverable. */
export const ARTIFACT_SOFT_DELETE_DAYS = 30;

/**
 * Activity log categories sent to Log Analytics: all eight the subscription log has
 * (learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema, "Categories").
 */
export const ACTIVITY_LOG_CATEGORIES = [
  "Administrative",
  "Security",
  "ServiceHealth",
  "Alert",
  "Recommendation",
  "Policy",
  "Autoscale",
  "ResourceHealth",
] as const;

/** A resource under a CanNotDelete lock, and what the program puts on or under it. */
export interface LockedResource {
  /** Resource id: the lock's scope. */
  id: pulumi.Input<string>;
  /**
   * Everything the program creates that the lock would keep from being deleted: child resources
   * (containers, secrets, blob settings), extension resources (diagnostic settings, role
   * assignments scoped to it) and private endpoints. The lock depends on them, so `pulumi destroy`
   * deletes it before any of them.
   */
  dependents: readonly pulumi.Resource[];
}

export interface GuardrailsArgs {
  /** Resource group of the estate (for the blob service of the artifact storage). */
  resourceGroupName: pulumi.Input<string>;
  /** Subscription of the estate: the budget's scope and the activity log's source. */
  subscriptionId: pulumi.Input<string>;
  /** `<project>-<stack>`: names what lives at subscription scope, where stacks meet. */
  stackLabel: string;
  /** Log Analytics workspace that receives the activity log. */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  /** Action group the budget alerts notify. */
  actionGroupId: pulumi.Input<string>;
  /** Resources no one may delete while the lock stands, by role (`cosmos`, `vault`, …). */
  locked: Readonly<Record<string, LockedResource>>;
  /** The storage account holding model artifacts: locked too, and its blobs kept recoverable. */
  artifacts: LockedResource & {
    /** Its name (an output, so its blob settings wait for it). */
    accountName: pulumi.Input<string>;
  };
  /** Monthly budget (billing currency). */
  monthlyBudget: number;
  /**
   * Resource groups whose cost the budget counts: the estate's own and the AKS node resource
   * group, where the node VMs, disks and load balancers are billed.
   */
  costResourceGroups: readonly pulumi.Input<string>[];
  /** When the budget starts counting; its first of the month is the budget's start. */
  now: Date;
}

/** `YYYY-MM-01` of the month `date` falls in (UTC), as budgets want their start. */
export function firstOfMonth(date: Date): string {
  const month = String(date.getUTCMonth() + 1).padStart(2, "0");
  return `${date.getUTCFullYear()}-${month}-01`;
}

export class Guardrails extends pulumi.ComponentResource {
  constructor(name: string, args: GuardrailsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Guardrails", name, {}, opts);

    // A CanNotDelete lock on the account does not protect its blobs, so deleted or overwritten
    // artifacts stay recoverable: soft delete for blobs and containers, and versioning.
    const artifactBlobs = new storage.BlobServiceProperties(
      `${name}-artifact-blobs`,
      {
        resourceGroupName: args.resourceGroupName,
        accountName: args.artifacts.accountName,
        blobServicesName: "default",
        isVersioningEnabled: true,
        deleteRetentionPolicy: { enabled: true, days: ARTIFACT_SOFT_DELETE_DAYS },
        containerDeleteRetentionPolicy: { enabled: true, days: ARTIFACT_SOFT_DELETE_DAYS },
      },
      { parent: this },
    );

    // A lock binds every caller, owners included, on the management plane: Cosmos containers,
    // secrets and blobs stay writable (locks do not reach the data plane), but the resource, its
    // ARM children, the extension resources on it (diagnostic settings) and the role assignments
    // scoped to it cannot be deleted until someone with Microsoft.Authorization/locks/* removes
    // the lock (MicrosoftDocs/azure-docs articles/azure-resource-manager/management/
    // lock-resources.md, "Lock inheritance" and "Considerations before applying your locks").
    // Cosmos DB honours locks for key-based clients only with disableKeyBasedMetadataWriteAccess,
    // which cosmos.ts sets (learn.microsoft.com/azure/cosmos-db/resource-locks). Each lock
    // depends on what it would block, so `pulumi destroy` deletes it first; a `pulumi up` that
    // must delete or replace one of them needs the lock lifted first (infra README, "Locks").
    const locked: Record<string, LockedResource> = {
      ...args.locked,
      artifacts: {
        id: args.artifacts.id,
        dependents: [...args.artifacts.dependents, artifactBlobs],
      },
    };
    for (const [role, target] of Object.entries(locked)) {
      new authorization.ManagementLockByScope(
        `${name}-lock-${role}`,
        {
          scope: target.id,
          lockName: "do-not-delete",
          level: "CanNotDelete",
          notes: `Holds ${args.stackLabel} state; lift the lock deliberately before deleting.`,
        },
        { parent: this, dependsOn: [...target.dependents] },
      );
    }

    // Who changed what in the subscription (role assignments, deletes, policy), next to the
    // resource logs. A subscription takes at most five such settings; one per stack.
    new monitor.SubscriptionDiagnosticSetting(
      `${name}-activity-log`,
      {
        name: `${args.stackLabel}-activity-log`,
        workspaceId: args.logAnalyticsWorkspaceId,
        logs: ACTIVITY_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
      },
      { parent: this },
    );

    const subscriptionScope = pulumi.interpolate`/subscriptions/${args.subscriptionId}`;
    new consumption.Budget(
      `${name}-budget`,
      {
        scope: subscriptionScope,
        budgetName: `${args.stackLabel}-monthly`,
        category: "Cost",
        amount: args.monthlyBudget,
        timeGrain: "Monthly",
        // The start must be a first of the month, and one in the past only within the current
        // period (Budgets API, timePeriod): set once at creation, then left alone.
        timePeriod: { startDate: firstOfMonth(args.now) },
        filter: {
          dimensions: {
            name: "ResourceGroupName",
            operator: "In",
            values: [...args.costResourceGroups],
          },
        },
        notifications: Object.fromEntries(
          BUDGET_ALERT_PERCENTS.map((percent) => [
            `actual-${percent}-percent`,
            {
              enabled: true,
              operator: "GreaterThanOrEqualTo",
              threshold: percent,
              thresholdType: "Actual",
              // At subscription scope an action group alone is enough (Budgets API, contactEmails).
              contactEmails: [],
              contactGroups: [args.actionGroupId],
            },
          ]),
        ),
      },
      { parent: this, ignoreChanges: ["timePeriod"] },
    );

    this.registerOutputs({});
  }
}
