import * as alertsmanagement from "@pulumi/azure-native/alertsmanagement/index.js";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights/index.js";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as portal from "@pulumi/azure-native/portal/index.js";
import * as pulumi from "@pulumi/pulumi";
import {
  CLUSTER_METRIC_NAMESPACE,
  clusterMetricAlerts,
  logAlerts,
  prometheusAlerts,
} from "./alert-rules.js";
import { dashboardLens } from "./dashboard.js";
import { SAVED_QUERY_CATEGORY, savedQueries } from "./log-queries.js";
import type { PlacementArgs } from "./placement.js";

/** A resource whose platform logs and metrics go to Log Analytics. */
export interface DiagnosticTarget {
  /** Resource id. */
  resourceId: pulumi.Input<string>;
  /** Log categories to export; undefined exports the `allLogs` category group. */
  categories?: readonly string[];
  /**
   * Metric categories to export: each must be one the resource type registers, or Azure refuses
   * the setting ("Metric category 'X' is not supported"), so every target names its own.
   */
  metrics: readonly string[];
}

/** A synthetic health check: an availability web test and its alert. */
export interface HealthCheck {
  /**
   * Role in the resource names (`${name}-<role>-health-check`); absent for the prediction API's
   * own check, whose resources keep the names they have always had.
   */
  role?: string;
  /** URL the check requests; 200 passes. */
  url: string;
  /** What the check watches, for the portal and the alert. */
  description: string;
}

export interface MonitorsArgs extends PlacementArgs {
  /** Log Analytics workspace that receives diagnostics and hosts the App Insights tables. */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  /** Its name: saved queries are its child resources. */
  logAnalyticsWorkspaceName: pulumi.Input<string>;
  /** AKS cluster resource id: its platform metrics (CPU, memory, network) are alerted on and charted. */
  clusterId: pulumi.Input<string>;
  /** Namespaces of the serving pods (the prediction API's, the GARCH service's) the log queries read. */
  servingNamespaces: readonly string[];
  /** Synthetic checks besides the prediction API's readiness (the GARCH service's `/health`). */
  additionalHealthChecks?: readonly HealthCheck[];
  /** Application Insights component (web test and availability alert). */
  appInsightsId: pulumi.Input<string>;
  /** Azure Monitor workspace that holds the API's Prometheus metrics. */
  monitorWorkspaceId: pulumi.Input<string>;
  /** AKS cluster whose metrics the Prometheus rules evaluate. */
  clusterName: pulumi.Input<string>;
  /** Action group every alert notifies. */
  actionGroupId: pulumi.Input<string>;
  /** URL the synthetic health check requests. */
  healthCheckUrl: string;
  /** Resources whose diagnostics go to Log Analytics, keyed by role (`aks`, `acr`, …). */
  diagnostics: Readonly<Record<string, DiagnosticTarget>>;
}

/**
 * AKS control-plane categories worth their cost: the full `kube-audit` stream is the largest
 * table of a busy cluster, so only admin (non-read) audit events are kept.
 */
export const AKS_LOG_CATEGORIES = [
  "kube-apiserver",
  "kube-audit-admin",
  "kube-controller-manager",
  "kube-scheduler",
  "cluster-autoscaler",
  "guard",
] as const;

/**
 * Blob logs of the artifact storage: writes and deletes, the record of who changed a model
 * artifact. Reads are left out: every model load and MLflow download is one, and they are the
 * bulk of the volume (categories: learn.microsoft.com/azure/azure-monitor/reference/
 * supported-logs/microsoft-storage-storageaccounts-blobservices-logs).
 */
export const ARTIFACT_BLOB_LOG_CATEGORIES = ["StorageWrite", "StorageDelete"] as const;
/** The blob service's exportable metric category (`Transaction`; capacity is not exported). */
export const BLOB_METRIC_CATEGORIES = ["Transaction"] as const;

/**
 * The metric category AKS, Key Vault, the registry and the ML workspace are exported with, the
 * catch-all `AllMetrics`: Key Vault's supported-metrics reference names no category; for AKS and
 * the workspace it groups metrics under headings, and their common templates export `AllMetrics`.
 * `az monitor diagnostic-settings categories list --resource <id>` shows what a resource takes.
 */
export const ALL_METRICS = ["AllMetrics"] as const;

/**
 * Cosmos DB registers one named metric category, `Requests`, and no `AllMetrics` (supported
 * metrics of Microsoft.DocumentDB/databaseAccounts, "Category: Requests": azure-monitor-docs
 * reference/metrics/microsoft-documentdb-databaseaccounts-metrics-include.md).
 */
export const COSMOS_METRIC_CATEGORIES = ["Requests"] as const;

/**
 * Azure ML workspace categories that record jobs, compute and changes to models, environments
 * and datastores; the read events and per-node utilisation are left out for volume (categories:
 * learn.microsoft.com/azure/azure-monitor/reference/supported-logs/
 * microsoft-machinelearningservices-workspaces-logs).
 */
export const ML_WORKSPACE_LOG_CATEGORIES = [
  "AmlComputeClusterEvent",
  "AmlComputeJobEvent",
  "AmlRunStatusChangedEvent",
  "ModelsChangeEvent",
  "ModelsActionEvent",
  "EnvironmentChangeEvent",
  "DataStoreChangeEvent",
] as const;

/** Web test probe regions: five, so one flaky region never pages anyone. */
const PROBE_LOCATIONS = [
  "emea-nl-ams-azr",
  "emea-gb-db3-azr",
  "us-va-ash-azr",
  "us-ca-sjc-azr",
  "apac-sg-sin-azr",
];
/** What sets one metric alert apart from the others. */
type MetricAlertSettings = Omit<
  monitor.MetricAlertArgs,
  "resourceGroupName" | "tags" | "location" | "enabled" | "actions"
>;

/** Regions that must fail together before the health alert fires. */
const FAILED_LOCATIONS_TO_ALERT = 2;

/**
 * What watches the estate once it exists: diagnostic settings into Log Analytics, the alerts of
 * alert-rules.ts (log, Prometheus and cluster-metric), synthetic health checks with their
 * availability alerts, the saved log queries, and the portal dashboard.
 */
export class Monitors extends pulumi.ComponentResource {
  /** Dashboard resource id. */
  readonly dashboardId: pulumi.Output<string>;
  /** The diagnostic setting of each target, by the role `diagnostics` keys it with. */
  readonly diagnosticSettings: Readonly<Record<string, monitor.DiagnosticSetting>>;

  constructor(name: string, args: MonitorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Monitors", name, {}, opts);
    const { resourceGroupName, location, tags } = args;

    const settings: Record<string, monitor.DiagnosticSetting> = {};
    for (const [role, target] of Object.entries(args.diagnostics)) {
      settings[role] = new monitor.DiagnosticSetting(
        `${name}-diag-${role}`,
        {
          resourceUri: target.resourceId,
          workspaceId: args.logAnalyticsWorkspaceId,
          // Resource-specific tables (AKSAudit, CDBDataPlaneRequests, …) are cheaper to query.
          logAnalyticsDestinationType: "Dedicated",
          logs: target.categories
            ? target.categories.map((category) => ({ category, enabled: true }))
            : [{ categoryGroup: "allLogs", enabled: true }],
          metrics: target.metrics.map((category) => ({
            category,
            enabled: true,
          })),
        },
        { parent: this },
      );
    }

    for (const alert of logAlerts) {
      new monitor.ScheduledQueryRule(
        `${name}-${alert.role}`,
        {
          resourceGroupName,
          location,
          tags,
          kind: "LogAlert",
          description: alert.description,
          severity: alert.severity,
          enabled: true,
          scopes: [args.logAnalyticsWorkspaceId],
          evaluationFrequency: "PT5M",
          windowSize: alert.window,
          criteria: {
            allOf: [
              {
                query: alert.query,
                timeAggregation: "Count",
                operator: "GreaterThan",
                threshold: 0,
                failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
              },
            ],
          },
          autoMitigate: true,
          actions: { actionGroups: [args.actionGroupId] },
        },
        { parent: this },
      );
    }

    new alertsmanagement.PrometheusRuleGroup(
      `${name}-prediction-rules`,
      {
        resourceGroupName,
        location,
        tags,
        description: "Prediction API alerts over managed Prometheus.",
        scopes: [args.monitorWorkspaceId],
        clusterName: args.clusterName,
        enabled: true,
        interval: "PT1M",
        rules: prometheusAlerts.map((a) => ({
          alert: a.alert,
          expression: a.expression,
          for: a.for,
          severity: a.severity,
          annotations: { description: a.description },
          enabled: true,
          actions: [{ actionGroupId: args.actionGroupId }],
          resolveConfiguration: { autoResolved: true, timeToResolve: "PT10M" },
        })),
      },
      { parent: this },
    );

    for (const alert of clusterMetricAlerts) {
      this.metricAlert(`${name}-${alert.role}`, args, {
        description: alert.description,
        severity: alert.severity,
        scopes: [args.clusterId],
        evaluationFrequency: alert.evaluationFrequency,
        windowSize: alert.windowSize,
        criteria: {
          odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
          allOf: [
            {
              criterionType: "StaticThresholdCriterion",
              name: alert.role,
              metricName: alert.metricName,
              metricNamespace: CLUSTER_METRIC_NAMESPACE,
              operator: "GreaterThan",
              threshold: alert.threshold,
              timeAggregation: "Average",
            },
          ],
        },
        autoMitigate: true,
      });
    }

    const checks: HealthCheck[] = [
      {
        url: args.healthCheckUrl,
        description: "Readiness of the prediction API through the public ingress.",
      },
      ...(args.additionalHealthChecks ?? []),
    ];
    for (const check of checks) this.healthCheck(name, check, args);

    for (const saved of savedQueries(args.servingNamespaces)) {
      new operationalinsights.SavedSearch(
        `${name}-query-${saved.role}`,
        {
          resourceGroupName,
          workspaceName: args.logAnalyticsWorkspaceName,
          savedSearchId: `mlops-${saved.role}`,
          category: SAVED_QUERY_CATEGORY,
          displayName: saved.displayName,
          query: saved.query,
          // A saved search takes its tags as name/value pairs.
          tags: Object.entries(tags).map(([tagName, value]) => ({ name: tagName, value })),
          // KQL: "the version number of the query language; the current version is 2"
          // (learn.microsoft.com/azure/templates/microsoft.operationalinsights/workspaces/savedsearches).
          version: 2,
        },
        { parent: this },
      );
    }

    const dashboard = new portal.Dashboard(
      `${name}-dashboard`,
      {
        resourceGroupName,
        location,
        tags: { ...tags, "hidden-title": "MLOps platform: prediction API" },
        properties: {
          lenses: [
            dashboardLens({
              workspaceId: args.logAnalyticsWorkspaceId,
              clusterId: args.clusterId,
              namespaces: args.servingNamespaces,
            }),
          ],
        },
      },
      { parent: this },
    );

    this.dashboardId = dashboard.id;
    this.diagnosticSettings = settings;
    this.registerOutputs({ dashboardId: this.dashboardId });
  }

  /** A standard web test probing `check.url` from five regions, and its availability alert. */
  private healthCheck(name: string, check: HealthCheck, args: MonitorsArgs): void {
    const { resourceGroupName, location, tags } = args;
    const role = check.role === undefined ? name : `${name}-${check.role}`;
    // App Insights links a web test to its component through this tag; without it the test is
    // created but never shows up under the component.
    const linkTag = pulumi
      .output(args.appInsightsId)
      .apply((id) => ({ ...tags, [`hidden-link:${id}`]: "Resource" }));
    const test = new applicationinsights.WebTest(
      `${role}-health-check`,
      {
        resourceGroupName,
        location,
        tags: linkTag,
        kind: "standard",
        webTestKind: "standard",
        syntheticMonitorId: `${role}-health-check`,
        description: check.description,
        enabled: true,
        frequency: 300,
        timeout: 30,
        retryEnabled: true,
        locations: PROBE_LOCATIONS.map((id) => ({ location: id })),
        request: { requestUrl: check.url, httpVerb: "GET", followRedirects: false },
        validationRules: { expectedHttpStatusCode: 200 },
      },
      { parent: this },
    );
    this.metricAlert(`${role}-health-alert`, args, {
      description: `Fails from several regions: ${check.description}`,
      severity: 1,
      scopes: [test.id, args.appInsightsId],
      evaluationFrequency: "PT1M",
      windowSize: "PT5M",
      criteria: {
        odataType: "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria",
        webTestId: test.id,
        componentId: args.appInsightsId,
        failedLocationCount: FAILED_LOCATIONS_TO_ALERT,
      },
    });
  }

  /** An enabled metric alert (metric alerts are global) that notifies the action group. */
  private metricAlert(role: string, args: MonitorsArgs, alert: MetricAlertSettings): void {
    new monitor.MetricAlert(
      role,
      {
        resourceGroupName: args.resourceGroupName,
        tags: args.tags,
        location: "global",
        enabled: true,
        actions: [{ actionGroupId: args.actionGroupId }],
        ...alert,
      },
      { parent: this },
    );
  }
}
