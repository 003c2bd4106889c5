import * as monitor from "@pulumi/azure-native/monitor/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { PlacementArgs } from "./placement.js";

/** Where the cluster's metrics and logs go. */
export interface ClusterMonitoringArgs {
  /** Azure Monitor workspace that stores managed Prometheus metrics. */
  monitorWorkspaceId: pulumi.Input<string>;
  /** Log Analytics workspace that stores Container Insights logs. */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
}

/** The cluster being monitored, where its monitoring resources go, and their parent. */
interface Site {
  name: string;
  cluster: { id: pulumi.Output<string> };
  placement: PlacementArgs;
  sinks: ClusterMonitoringArgs;
  parent: pulumi.Resource;
}

/** Routes the cluster's managed Prometheus metrics and its Container Insights logs to `sinks`. */
export function connectClusterMonitoring(
  name: string,
  cluster: { id: pulumi.Output<string> },
  placement: PlacementArgs,
  sinks: ClusterMonitoringArgs,
  parent: pulumi.Resource,
): void {
  const site = { name, cluster, placement, sinks, parent };
  connectManagedPrometheus(site);
  connectContainerInsights(site);
}

const PROMETHEUS_STREAM = "Microsoft-PrometheusMetrics";
const CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default";

/**
 * Managed Prometheus as Azure Monitor models it: `azureMonitorProfile.metrics` only starts the
 * collector; the data collection endpoint, rule and association route its samples into the
 * Azure Monitor workspace. Without them the collector scrapes and drops everything.
 */
function connectManagedPrometheus({ name, cluster, placement, sinks, parent }: Site): void {
  const endpoint = new monitor.DataCollectionEndpoint(
    `${name}-prometheus-dce`,
    { ...placement, kind: "Linux", networkAcls: { publicNetworkAccess: "Enabled" } },
    { parent },
  );
  const rule = new monitor.DataCollectionRule(
    `${name}-prometheus-dcr`,
    {
      ...placement,
      kind: "Linux",
      dataCollectionEndpointId: endpoint.id,
      dataSources: {
        prometheusForwarder: [{ name: "PrometheusDataSource", streams: [PROMETHEUS_STREAM] }],
      },
      destinations: {
        monitoringAccounts: [
          { name: "MonitoringAccount", accountResourceId: sinks.monitorWorkspaceId },
        ],
      },
      dataFlows: [{ streams: [PROMETHEUS_STREAM], destinations: ["MonitoringAccount"] }],
    },
    { parent },
  );
  new monitor.DataCollectionRuleAssociation(
    `${name}-prometheus-dcra`,
    { resourceUri: cluster.id, dataCollectionRuleId: rule.id },
    { parent },
  );
  // The collector fetches its configuration through this fixed-name association.
  new monitor.DataCollectionRuleAssociation(
    `${name}-prometheus-dcea`,
    {
      resourceUri: cluster.id,
      associationName: "configurationAccessEndpoint",
      dataCollectionEndpointId: endpoint.id,
    },
    { parent },
  );
}

/**
 * Container Insights with Entra auth (`useAADAuth` on the add-on) reads what to collect from a
 * data collection rule associated with the cluster, instead of from workspace keys.
 */
function connectContainerInsights({ name, cluster, placement, sinks, parent }: Site): void {
  const rule = new monitor.DataCollectionRule(
    `${name}-insights-dcr`,
    {
      ...placement,
      kind: "Linux",
      dataSources: {
        extensions: [
          {
            name: "ContainerInsightsExtension",
            extensionName: "ContainerInsights",
            streams: [CONTAINER_INSIGHTS_STREAM],
            extensionSettings: {
              dataCollectionSettings: {
                interval: "1m",
                namespaceFilteringMode: "Off",
                enableContainerLogV2: true,
              },
            },
          },
        ],
      },
      destinations: {
        logAnalytics: [
          {
            name: "ContainerInsightsWorkspace",
            workspaceResourceId: sinks.logAnalyticsWorkspaceId,
          },
        ],
      },
      dataFlows: [
        { streams: [CONTAINER_INSIGHTS_STREAM], destinations: ["ContainerInsightsWorkspace"] },
      ],
    },
    { parent },
  );
  new monitor.DataCollectionRuleAssociation(
    `${name}-insights-dcra`,
    {
      resourceUri: cluster.id,
      associationName: "ContainerInsightsExtension",
      dataCollectionRuleId: rule.id,
    },
    { parent },
  );
}
