import type * as inputs from "@pulumi/azure-native/types/input.js";
import type * as pulumi from "@pulumi/pulumi";
import { CLUSTER_METRIC_NAMESPACE } from "./alert-rules.js";
import { type LogTile, logTiles } from "./log-queries.js";

/**
 * The one view Application Insights answers better than the logs: how traffic splits between
 * the A/B arms (the `variant` each request's telemetry carries).
 */
export const abSplitTile: LogTile = {
  title: "A/B traffic split",
  chart: "piechart",
  query:
    'AppRequests | where Name has "predict" | summarize requests = count() by variant = tostring(Properties["variant"])',
};

/** A chart of the cluster's platform metrics (the ones the CPU and memory alerts watch). */
export interface MetricTile {
  readonly title: string;
  /** Metric names in `CLUSTER_METRIC_NAMESPACE`, drawn as one line each (Average). */
  readonly metrics: readonly string[];
}

/** Node CPU, memory and network: the capacity side of the on-call's first look. */
export const metricTiles: readonly MetricTile[] = [
  { title: "Node CPU (%)", metrics: ["node_cpu_usage_percentage"] },
  { title: "Node memory working set (%)", metrics: ["node_memory_working_set_percentage"] },
  {
    title: "Network in / out (bytes)",
    metrics: ["node_network_in_bytes", "node_network_out_bytes"],
  },
];

const TILE_WIDTH = 6;
const TILE_HEIGHT = 4;
const LOGS_PART =
  "Extension/Microsoft_OperationsManagementSuite_Workspace/PartType/LogsDashboardPart";
const METRICS_PART = "Extension/HubsExtension/PartType/MonitorChartPart";
/** The portal's aggregation code for Average in a metrics chart. */
const AVERAGE = 4;
/** The portal's chart type code for a line chart. */
const LINE_CHART = 2;

/** Where tile `i` goes: two per row. */
function position(i: number) {
  return {
    x: (i % 2) * TILE_WIDTH,
    y: Math.floor(i / 2) * TILE_HEIGHT,
    colSpan: TILE_WIDTH,
    rowSpan: TILE_HEIGHT,
  };
}

/** The parts of a dashboard lens: the log tiles, then the cluster's metric charts. */
export interface DashboardSources {
  /** Log Analytics workspace the log tiles query. */
  readonly workspaceId: pulumi.Input<string>;
  /** AKS cluster whose platform metrics the metric tiles chart. */
  readonly clusterId: pulumi.Input<string>;
  /** Namespaces of the serving pods whose logs the tiles read. */
  readonly namespaces: readonly string[];
}

/** Every tile's title, in the order the lens lays them out. */
export function dashboardTitles(namespaces: readonly string[]): string[] {
  return [...logTiles(namespaces), abSplitTile, ...metricTiles].map((t) => t.title);
}

/** The dashboard lens: tiles laid out two per row. */
export function dashboardLens(sources: DashboardSources): inputs.portal.DashboardLensArgs {
  const logs = [...logTiles(sources.namespaces), abSplitTile].map((tile) => ({
    type: LOGS_PART,
    inputs: [
      { name: "resourceTypeMode", value: "workspace" },
      { name: "ComponentId", value: sources.workspaceId },
      { name: "Scope", value: { resourceIds: [sources.workspaceId] } },
      { name: "Query", value: tile.query },
      { name: "TimeRange", value: "P1D" },
      { name: "Visualization", value: tile.chart },
      { name: "PartTitle", value: tile.title },
    ],
  }));
  const charts = metricTiles.map((tile) => ({
    type: METRICS_PART,
    inputs: [{ name: "sharedTimeRange", isOptional: true }],
    settings: {
      content: {
        options: {
          chart: {
            title: tile.title,
            metrics: tile.metrics.map((name) => ({
              resourceMetadata: { id: sources.clusterId },
              name,
              namespace: CLUSTER_METRIC_NAMESPACE,
              aggregationType: AVERAGE,
            })),
            visualization: { chartType: LINE_CHART },
            timespan: { relative: { duration: 86_400_000 } },
          },
        },
      },
    },
  }));
  return {
    order: 0,
    parts: [...logs, ...charts].map((metadata, i) => ({ position: position(i), metadata })),
  };
}
