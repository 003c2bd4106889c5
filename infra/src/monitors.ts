import * as alertsmanagement from "@pulumi/azure-native/alertsmanagement/index.js";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights/index.js";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as portal from "@pulumi/azure-native/portal/index.js";
import * as pulumi from "@pulumi/pulumi";
import { logAlerts, prometheusAlerts } from "./alert-rules.js";
import { dashboardLens } from "./dashboard.js";
import type { PlacementArgs } from "./placement.js";

/** A resource whose platform logs and metrics go to Log Analytics. */
export interface DiagnosticTarget {
  /** Resource id. */
  resourceId: pulumi.Input<string>;
  /** Log categories to export; undefined exports the `allLogs` category group. */
  categories?: readonly string[];
  /** Metric categories to export. @default ["AllMetrics"] */
  metrics?: readonly string[];
}

export interface MonitorsArgs extends PlacementArgs {
  /** Log Analytics workspace that receives diagnostics and hosts the App Insights tables. */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
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
/** Regions that must fail together before the health alert fires. */
const FAILED_LOCATIONS_TO_ALERT = 2;

/**
 * What watches the estate once it exists: diagnostic settings into Log Analytics, the alerts of
 * alert-rules.ts, a synthetic health check with its availability alert, and the portal dashboard.
 */
export class Monitors extends pulumi.ComponentResource {
  /** Dashboard resource id. */
  readonly dashboardId: pulumi.Output<string>;

  constructor(name: string, args: MonitorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Monitors", name, {}, opts);
    const { resourceGroupName, location, tags } = args;

    for (const [role, target] of Object.entries(args.diagnostics)) {
      new monitor.DiagnosticSetting(
        `${name}-diag-${role}`,
        {
          resourceUri: target.resourceId,
          workspaceId: args.logAnalyticsWorkspaceId,
          // Resource-specific tables (AKSAudit, CDBDataPlaneRequests, …) are cheaper to query.
          logAnalyticsDestinationType: "Dedicated",
          logs: target.categories
            ? target.categories.map((category) => ({ category, enabled: true }))
            : [{ categoryGroup: "allLogs", enabled: true }],
          metrics: (target.metrics ?? ["AllMetrics"]).map((category) => ({
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

    // App Insights links a web test to its component through this tag; without it the test is
    // created but never shows up under the component.
    const linkTag = pulumi
      .output(args.appInsightsId)
      .apply((id) => ({ ...tags, [`hidden-link:${id}`]: "Resource" }));
    const healthCheck = new applicationinsights.WebTest(
      `${name}-health-check`,
      {
        resourceGroupName,
        location,
        tags: linkTag,
        kind: "standard",
        webTestKind: "standard",
        syntheticMonitorId: `${name}-health-check`,
        description: "Readiness of the prediction API through the public ingress.",
        enabled: true,
        frequency: 300,
        timeout: 30,
        retryEnabled: true,
        locations: PROBE_LOCATIONS.map((id) => ({ location: id })),
        request: { requestUrl: args.healthCheckUrl, httpVerb: "GET", followRedirects: false },
        validationRules: { expectedHttpStatusCode: 200 },
      },
      { parent: this },
    );
    new monitor.MetricAlert(
      `${name}-health-alert`,
      {
        resourceGroupName,
        tags,
        location: "global",
        description: "The prediction API's health check fails from several regions.",
        severity: 1,
        enabled: true,
        scopes: [healthCheck.id, args.appInsightsId],
        evaluationFrequency: "PT1M",
        windowSize: "PT5M",
        criteria: {
          odataType: "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria",
          webTestId: healthCheck.id,
          componentId: args.appInsightsId,
          failedLocationCount: FAILED_LOCATIONS_TO_ALERT,
        },
        actions: [{ actionGroupId: args.actionGroupId }],
      },
      { parent: this },
    );

    const dashboard = new portal.Dashboard(
      `${name}-dashboard`,
      {
        resourceGroupName,
        location,
        tags: { ...tags, "hidden-title": "MLOps platform: prediction API" },
        properties: { lenses: [dashboardLens(args.logAnalyticsWorkspaceId)] },
      },
      { parent: this },
    );

    this.dashboardId = dashboard.id;
    this.registerOutputs({ dashboardId: this.dashboardId });
  }
}
