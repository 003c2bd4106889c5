import { ESTATE_SKUS } from "@mlops/contracts";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights/index.js";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as pulumi from "@pulumi/pulumi";
import { type PlacementArgs, placementOf } from "./placement.js";

export interface TelemetryArgs extends PlacementArgs {
  /** Days Log Analytics keeps data (30–730). */
  retentionInDays: number;
  /** Most GB Log Analytics ingests per day; collection pauses until the next day beyond it. */
  dailyQuotaGb: number;
  /** Addresses the action group mails when an alert fires. */
  alertEmails: readonly string[];
  /** Webhooks the action group calls when an alert fires (URLs passed on as secrets). */
  alertWebhooks?: readonly { name: string; url: string }[];
}

/**
 * Where the estate's signals go: Log Analytics (logs, Container Insights, diagnostic settings),
 * workspace-based Application Insights (the API's requests and custom metrics), an Azure Monitor
 * workspace (managed Prometheus) and the action group alerts notify. Created before the things
 * that report into it; `Monitors` adds the alerts and the dashboard once those things exist.
 */
export class Telemetry extends pulumi.ComponentResource {
  /** Log Analytics workspace resource id. */
  readonly logAnalyticsWorkspaceId: pulumi.Output<string>;
  /** Log Analytics workspace name (saved queries are its children). */
  readonly logAnalyticsWorkspaceName: pulumi.Output<string>;
  /** Application Insights component resource id. */
  readonly appInsightsId: pulumi.Output<string>;
  /**
   * Application Insights connection string. Not a secret: its instrumentation key only names the
   * component, and with local auth off ingestion needs an Entra token
   * (learn.microsoft.com/azure/azure-monitor/app/sdk-connection-string).
   */
  readonly appInsightsConnectionString: pulumi.Output<string>;
  /** Azure Monitor workspace (managed Prometheus) resource id. */
  readonly monitorWorkspaceId: pulumi.Output<string>;
  /** PromQL query endpoint of the Azure Monitor workspace, for KEDA and dashboards. */
  readonly prometheusQueryEndpoint: pulumi.Output<string>;
  /** Action group resource id that every alert notifies. */
  readonly actionGroupId: pulumi.Output<string>;

  constructor(name: string, args: TelemetryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlops:infra:Telemetry", name, {}, opts);
    const placement = placementOf(args);

    const logs = new operationalinsights.Workspace(
      `${name}-logs`,
      {
        ...placement,
        sku: { name: ESTATE_SKUS.logAnalytics },
        retentionInDays: args.retentionInDays,
        workspaceCapping: { dailyQuotaGb: args.dailyQuotaGb },
      },
      { parent: this },
    );

    const appInsights = new applicationinsights.Component(
      `${name}-appinsights`,
      {
        ...placement,
        kind: "web",
        applicationType: "web",
        // Workspace-based: requests land in Log Analytics (AppRequests, AppMetrics), where the
        // scheduled query alerts and the dashboard read them.
        workspaceResourceId: logs.id,
        ingestionMode: "LogAnalytics",
        // Entra ID only: telemetry is accepted with a token of an identity holding Monitoring
        // Metrics Publisher on this component, never with the instrumentation key alone
        // (learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
        disableLocalAuth: true,
      },
      { parent: this },
    );

    const prometheus = new monitor.AzureMonitorWorkspace(`${name}-prometheus`, placement, {
      parent: this,
    });

    const actionGroup = new monitor.ActionGroup(
      `${name}-oncall`,
      {
        resourceGroupName: args.resourceGroupName,
        tags: args.tags,
        // Action groups are global resources.
        location: "global",
        enabled: true,
        groupShortName: "mlops-oncall",
        emailReceivers: args.alertEmails.map((emailAddress, i) => ({
          name: `email-${i}`,
          emailAddress,
          useCommonAlertSchema: true,
        })),
        // A webhook URL often embeds its token: kept secret in state and previews.
        webhookReceivers: (args.alertWebhooks ?? []).map((hook) => ({
          name: hook.name,
          serviceUri: pulumi.secret(hook.url),
          useCommonAlertSchema: true,
        })),
      },
      { parent: this },
    );

    this.logAnalyticsWorkspaceId = logs.id;
    this.logAnalyticsWorkspaceName = logs.name;
    this.appInsightsId = appInsights.id;
    this.appInsightsConnectionString = appInsights.connectionString;
    this.monitorWorkspaceId = prometheus.id;
    this.prometheusQueryEndpoint = prometheus.metrics.apply(
      (m) => m?.prometheusQueryEndpoint ?? "",
    );
    this.actionGroupId = actionGroup.id;
    this.registerOutputs({
      logAnalyticsWorkspaceId: this.logAnalyticsWorkspaceId,
      logAnalyticsWorkspaceName: this.logAnalyticsWorkspaceName,
      appInsightsId: this.appInsightsId,
      appInsightsConnectionString: this.appInsightsConnectionString,
      monitorWorkspaceId: this.monitorWorkspaceId,
      prometheusQueryEndpoint: this.prometheusQueryEndpoint,
      actionGroupId: this.actionGroupId,
    });
  }
}
