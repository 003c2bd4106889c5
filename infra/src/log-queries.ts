/**
 * KQL over the container logs this platform produces: the servers' pino JSON lines, which
 * Container Insights stores in `ContainerLogV2` with the JSON in the dynamic `LogMessage` column
 * (fields read as `LogMessage.status`, no parse_json needed: learn.microsoft.com/azure/
 * azure-monitor/reference/tables/containerlogv2). Field names and messages come from the
 * contracts' log records, which a serving test checks against the lines the server writes.
 * The second design's three queries are saved in the workspace; the dashboard's log tiles are
 * built from the same pieces.
 */
import {
  HEALTH_PATH_PREFIX,
  MODEL_LOADED_LOG,
  PINO_LEVELS,
  PREDICTION_PATH_PREFIXES,
  REQUEST_LOG,
} from "@mlops/contracts";

const F = REQUEST_LOG.fields;
const M = MODEL_LOADED_LOG.fields;

/** A KQL string literal. */
const str = (s: string) => JSON.stringify(s);

/** `ContainerLogV2` rows of the serving pods in `namespaces`. */
export function containerLogs(namespaces: readonly string[]): string[] {
  return ["ContainerLogV2", `| where PodNamespace in (${namespaces.map(str).join(", ")})`];
}

/** One row per answered request, with `url`, `status` and `ms` typed. */
export function requestLines(namespaces: readonly string[]): string[] {
  return [
    ...containerLogs(namespaces),
    `| where tostring(LogMessage.msg) == ${str(REQUEST_LOG.message)}`,
    `| extend url = tostring(LogMessage.${F.url}), status = toint(LogMessage.${F.status}), ms = todouble(LogMessage.${F.ms})`,
  ];
}

/** Predicate: the request was a prediction (`/predict…`, `/garch/…`). */
const isPrediction = PREDICTION_PATH_PREFIXES.map((p) => `url startswith ${str(p)}`).join(" or ");

/** A query saved in the workspace, under the category the on-call looks in. */
export interface SavedQuery {
  /** Role in the resource name. */
  readonly role: string;
  readonly displayName: string;
  readonly query: string;
}

/** Category the saved queries are filed under. */
export const SAVED_QUERY_CATEGORY = "MLOps platform";

/** The design's three saved queries, for the pods of `namespaces`. */
export function savedQueries(namespaces: readonly string[]): SavedQuery[] {
  return [
    {
      role: "errors-24h",
      displayName: "Errors in the last 24 hours",
      query: [
        ...containerLogs(namespaces),
        "| where TimeGenerated > ago(24h)",
        `| where toint(LogMessage.level) >= ${PINO_LEVELS.error} or LogLevel in ("ERROR", "CRITICAL")`,
        "| project TimeGenerated, PodNamespace, PodName, message = tostring(LogMessage.msg),",
        "    error = tostring(LogMessage.err.message), request_id = tostring(LogMessage.reqId)",
        "| order by TimeGenerated desc",
      ].join("\n"),
    },
    {
      role: "response-time-5m",
      displayName: "Response time in 5-minute bins",
      query: [
        ...requestLines(namespaces),
        "| summarize requests = count(), mean_ms = avg(ms), p50_ms = percentile(ms, 50),",
        "    p95_ms = percentile(ms, 95), p99_ms = percentile(ms, 99) by bin(TimeGenerated, 5m)",
        "| order by TimeGenerated asc",
      ].join("\n"),
    },
    {
      role: "failed-health-checks-1h",
      displayName: "Failed health checks per hour",
      query: [
        ...requestLines(namespaces),
        `| where url startswith ${str(HEALTH_PATH_PREFIX)} and status >= 400`,
        "| summarize failed = count() by bin(TimeGenerated, 1h), url",
        "| order by TimeGenerated asc",
      ].join("\n"),
    },
  ];
}

/** A chart of the dashboard over the workspace. */
export interface LogTile {
  readonly title: string;
  readonly query: string;
  readonly chart: "timechart" | "piechart" | "barchart";
}

/**
 * The dashboard's log tiles over the container logs: every request counted (Application
 * Insights is sampled), split by the pods of `namespaces`.
 */
export function logTiles(namespaces: readonly string[]): LogTile[] {
  const requests = requestLines(namespaces);
  return [
    {
      title: "Response time p50 / p95 / p99 (ms)",
      chart: "timechart",
      query: [
        ...requests,
        "| summarize p50 = percentile(ms, 50), p95 = percentile(ms, 95), p99 = percentile(ms, 99) by bin(TimeGenerated, 5m)",
      ].join("\n"),
    },
    {
      title: "Requests per second",
      chart: "timechart",
      query: [
        ...requests,
        "| summarize requests_per_second = count() / 300.0 by bin(TimeGenerated, 5m)",
      ].join("\n"),
    },
    {
      title: "4xx and 5xx rates (% of requests)",
      chart: "timechart",
      query: [
        ...requests,
        "| summarize total = count(), c4xx = countif(status between (400 .. 499)), c5xx = countif(status >= 500) by bin(TimeGenerated, 5m)",
        "| project TimeGenerated, rate_4xx = 100.0 * c4xx / total, rate_5xx = 100.0 * c5xx / total",
      ].join("\n"),
    },
    {
      title: "Predictions (per 5 minutes)",
      chart: "timechart",
      query: [
        ...requests,
        `| where (${isPrediction}) and status < 400`,
        "| summarize predictions = count() by bin(TimeGenerated, 5m), PodNamespace",
      ].join("\n"),
    },
    {
      title: "Mean prediction time (ms)",
      chart: "timechart",
      query: [
        ...requests,
        `| where (${isPrediction}) and status < 400`,
        "| summarize mean_ms = avg(ms) by bin(TimeGenerated, 5m), PodNamespace",
      ].join("\n"),
    },
    {
      title: "Model load time (ms, at pod start)",
      chart: "barchart",
      query: [
        ...containerLogs(namespaces),
        `| where tostring(LogMessage.msg) == ${str(MODEL_LOADED_LOG.message)}`,
        `| summarize mean_ms = avg(todouble(LogMessage.${M.ms})), loads = count() by model = tostring(LogMessage.${M.model})`,
      ].join("\n"),
    },
  ];
}
