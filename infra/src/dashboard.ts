import type * as inputs from "@pulumi/azure-native/types/input.js";
import type * as pulumi from "@pulumi/pulumi";

/** One chart of the dashboard: a KQL query over the workspace's App Insights tables. */
export interface DashboardTile {
  /** Title shown on the tile. */
  title: string;
  /** KQL producing the series. */
  query: string;
  /** Log Analytics chart type. */
  chart: "timechart" | "piechart" | "barchart";
}

/** The four views the on-call opens first: volume, latency, the A/B split, errors. */
export const dashboardTiles: readonly DashboardTile[] = [
  {
    title: "Prediction volume (requests / 5 min)",
    chart: "timechart",
    query:
      'AppRequests | where Name has "predict" | summarize predictions = count() by bin(TimeGenerated, 5m)',
  },
  {
    title: "Latency percentiles (ms)",
    chart: "timechart",
    query:
      'AppRequests | where Name has "predict" | summarize p50 = percentile(DurationMs, 50), p95 = percentile(DurationMs, 95), p99 = percentile(DurationMs, 99) by bin(TimeGenerated, 5m)',
  },
  {
    title: "A/B traffic split",
    chart: "piechart",
    query:
      'AppRequests | where Name has "predict" | summarize requests = count() by variant = tostring(Properties["variant"])',
  },
  {
    title: "Errors (5xx / 5 min)",
    chart: "timechart",
    query:
      "AppRequests | where toint(ResultCode) >= 500 | summarize errors = count() by ResultCode, bin(TimeGenerated, 5m)",
  },
];

const TILE_WIDTH = 6;
const TILE_HEIGHT = 4;
const LOGS_PART =
  "Extension/Microsoft_OperationsManagementSuite_Workspace/PartType/LogsDashboardPart";

/** The dashboard lens: tiles laid out two per row, each a Log Analytics query part. */
export function dashboardLens(workspaceId: pulumi.Input<string>): inputs.portal.DashboardLensArgs {
  return {
    order: 0,
    parts: dashboardTiles.map((tile, i) => ({
      position: {
        x: (i % 2) * TILE_WIDTH,
        y: Math.floor(i / 2) * TILE_HEIGHT,
        colSpan: TILE_WIDTH,
        rowSpan: TILE_HEIGHT,
      },
      metadata: {
        type: LOGS_PART,
        inputs: [
          { name: "resourceTypeMode", value: "workspace" },
          { name: "ComponentId", value: workspaceId },
          { name: "Scope", value: { resourceIds: [workspaceId] } },
          { name: "Query", value: tile.query },
          { name: "TimeRange", value: "P1D" },
          { name: "Visualization", value: tile.chart },
          { name: "PartTitle", value: tile.title },
        ],
      },
    })),
  };
}
