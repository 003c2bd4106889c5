import {
  AB_VARIANT_ACCURACY,
  PREDICTION_LATENCY,
  PREDICTION_LOG_DROPPED,
  PREDICTION_LOG_WRITE_FAILURES,
  PREDICTION_REQUESTS,
} from "@mlops/contracts";

/**
 * The alerts behind the platform's promises, as data: each says what it watches, in which query
 * language, and when it fires. `Monitors` turns them into Azure resources; tests read them here.
 *
 * Where the signal lives decides the alert kind:
 * - the API's own Prometheus metrics (managed Prometheus) → Prometheus rule group alerts;
 * - HTTP status codes in workspace-based App Insights (Log Analytics tables) → scheduled query
 *   rules, since metric alerts cannot compute ratios;
 * - the synthetic health check → a metric alert on the web test's availability, the one case a
 *   platform metric answers directly; and a log alert counting failed checks;
 * - node CPU and memory → metric alerts on the cluster's platform metrics (Average over a
 *   15-minute window, evaluated every 5 minutes).
 */

/** Percent of 5xx responses over which the API counts as failing. */
export const ERROR_RATE_PERCENT = 5;
/** p95 prediction latency (seconds) over which clients feel the API as slow. */
export const P95_LATENCY_SECONDS = 2;
/** Fraction of last week's volume below which a drop in predictions is an incident. */
export const VOLUME_DROP_RATIO = 0.5;
/** Absolute accuracy points a variant may lose against its own 7-day baseline. */
export const ACCURACY_DROP = 0.05;
/** Average node CPU (percent) over which the cluster is short of compute. */
export const CPU_PERCENT = 80;
/** Average node working-set memory (percent) over which pods risk eviction. */
export const MEMORY_PERCENT = 90;
/** Failed synthetic health checks in a window beyond which the service counts as down. */
export const FAILED_HEALTH_CHECKS = 3;

/** A KQL alert over Log Analytics: fires when the query returns any row. */
export interface LogAlert {
  /** Role in the resource name (`${name}-<role>`). */
  role: string;
  /** What the on-call reads first. */
  description: string;
  /** 0 (critical) – 4 (verbose). */
  severity: number;
  /** KQL over the workspace; every returned row is a breach. */
  query: string;
  /** How far back each evaluation looks (ISO-8601). */
  window: string;
}

/** A PromQL alert over managed Prometheus: fires when the expression returns a sample. */
export interface PrometheusAlert {
  /** Alert name as Prometheus shows it. */
  alert: string;
  /** What the on-call reads first. */
  description: string;
  /** 0 (critical) – 4 (verbose). */
  severity: number;
  /** PromQL expression; any sample is a breach. */
  expression: string;
  /** How long the breach must last before it fires (ISO-8601). */
  for: string;
}

/** 5xx share of all API requests above ERROR_RATE_PERCENT. */
export const errorRateAlert: LogAlert = {
  role: "error-rate",
  description: `More than ${ERROR_RATE_PERCENT} % of prediction API requests returned 5xx.`,
  severity: 1,
  window: "PT15M",
  query: [
    "AppRequests",
    "| summarize total = count(), failed = countif(toint(ResultCode) >= 500)",
    "| where total > 0",
    "| extend errorPercent = 100.0 * failed / total",
    `| where errorPercent > ${ERROR_RATE_PERCENT}`,
  ].join("\n"),
};

/**
 * The workspace reached its daily cap: collection of billable data has stopped until the cap
 * resets, so the log alerts above go blind. The workspace's own operation log keeps recording,
 * and an OverQuota ingestion event is the signal (learn.microsoft.com/azure/azure-monitor/logs/
 * daily-cap, "Alert when daily cap is reached").
 */
export const dailyCapAlert: LogAlert = {
  role: "daily-cap-reached",
  description: "Log Analytics reached its daily cap: logs stop until the cap resets.",
  severity: 2,
  window: "PT15M",
  query: [
    "_LogOperation",
    '| where Category =~ "Ingestion"',
    '| where Detail has "OverQuota"',
  ].join("\n"),
};

/**
 * More than FAILED_HEALTH_CHECKS failed synthetic health checks (the web tests of the prediction
 * API's readiness and the GARCH service's `/health`) in 15 minutes. Workspace-based Application
 * Insights writes each check's result to `AppAvailabilityResults`, `Success` false on failure
 * (learn.microsoft.com/azure/azure-monitor/reference/tables/appavailabilityresults).
 */
export const failedHealthChecksAlert: LogAlert = {
  role: "failed-health-checks",
  description: `More than ${FAILED_HEALTH_CHECKS} health checks failed in 15 minutes.`,
  severity: 1,
  window: "PT15M",
  query: [
    "AppAvailabilityResults",
    "| where Success == false",
    "| summarize failed = count() by Name",
    `| where failed > ${FAILED_HEALTH_CHECKS}`,
  ].join("\n"),
};

export const logAlerts: readonly LogAlert[] = [
  errorRateAlert,
  dailyCapAlert,
  failedHealthChecksAlert,
];

/**
 * A static-threshold metric alert on the AKS cluster's platform metrics. The names are those of
 * `Microsoft.ContainerService/managedClusters` (learn.microsoft.com/azure/azure-monitor/
 * reference/supported-metrics/microsoft-containerservice-managedclusters-metrics).
 */
export interface ClusterMetricAlert {
  /** Role in the resource name (`${name}-<role>`). */
  role: string;
  description: string;
  /** 0 (critical) – 4 (verbose). */
  severity: number;
  metricName: string;
  /** Fires when the window's Average exceeds this. */
  threshold: number;
  /** Window the Average is taken over (ISO-8601). */
  windowSize: string;
  /** How often the rule is evaluated (ISO-8601). */
  evaluationFrequency: string;
}

/** The namespace of the cluster's platform metrics. */
export const CLUSTER_METRIC_NAMESPACE = "Microsoft.ContainerService/managedClusters";

/** Node CPU above CPU_PERCENT, averaged over 15 minutes, checked every 5. */
export const cpuAlert: ClusterMetricAlert = {
  role: "cpu",
  description: `Average node CPU above ${CPU_PERCENT} % for 15 minutes.`,
  severity: 2,
  metricName: "node_cpu_usage_percentage",
  threshold: CPU_PERCENT,
  windowSize: "PT15M",
  evaluationFrequency: "PT5M",
};

/** Node working-set memory above MEMORY_PERCENT, averaged over 15 minutes, checked every 5. */
export const memoryAlert: ClusterMetricAlert = {
  role: "memory",
  description: `Average node working-set memory above ${MEMORY_PERCENT} % for 15 minutes.`,
  severity: 1,
  metricName: "node_memory_working_set_percentage",
  threshold: MEMORY_PERCENT,
  windowSize: "PT15M",
  evaluationFrequency: "PT5M",
};

export const clusterMetricAlerts: readonly ClusterMetricAlert[] = [cpuAlert, memoryAlert];

/** p95 of the prediction latency histogram above P95_LATENCY_SECONDS. */
export const latencyAlert: PrometheusAlert = {
  alert: "PredictionLatencyP95High",
  description: `p95 prediction latency above ${P95_LATENCY_SECONDS} s.`,
  severity: 2,
  for: "PT10M",
  expression: `histogram_quantile(0.95, sum by (le) (rate(${PREDICTION_LATENCY.name}_bucket[5m]))) > ${P95_LATENCY_SECONDS}`,
};

/** Prediction volume under VOLUME_DROP_RATIO of the same hour one week earlier. */
export const volumeDropAlert: PrometheusAlert = {
  alert: "PredictionVolumeDrop",
  description: `Prediction volume fell below ${VOLUME_DROP_RATIO * 100} % of the same time last week.`,
  severity: 2,
  for: "PT15M",
  expression: `sum(rate(${PREDICTION_REQUESTS.name}[30m])) < ${VOLUME_DROP_RATIO} * sum(rate(${PREDICTION_REQUESTS.name}[30m] offset 1w))`,
};

/**
 * Any variant whose accuracy over the last hour (the API's `ab_variant_accuracy` gauge, read from
 * the A/B records in the store) fell ACCURACY_DROP below its own average of the past week.
 */
export const accuracyDropAlert: PrometheusAlert = {
  alert: "ModelAccuracyDrop",
  description: `A model variant's A/B accuracy over the last hour fell more than ${ACCURACY_DROP} below its 7-day average.`,
  severity: 2,
  for: "PT30M",
  expression: `max by (experiment, variant) (${AB_VARIANT_ACCURACY.name}) < max by (experiment, variant) (avg_over_time(${AB_VARIANT_ACCURACY.name}[7d])) - ${ACCURACY_DROP}`,
};

/**
 * The prediction log failing to reach the store: batches failing to write, or records dropped
 * from a full buffer. Predictions keep being served meanwhile (readiness does not ask the store),
 * so this is where a store outage shows, and the A/B evidence it loses is counted.
 */
export const predictionLogAlert: PrometheusAlert = {
  alert: "PredictionLogFailing",
  description:
    "Prediction records are failing to reach the store (write failures or a full buffer dropping them); A/B evidence is being lost.",
  severity: 1,
  for: "PT5M",
  expression: `sum(increase(${PREDICTION_LOG_WRITE_FAILURES.name}[10m])) > 0 or sum(increase(${PREDICTION_LOG_DROPPED.name}[10m])) > 0`,
};

export const prometheusAlerts: readonly PrometheusAlert[] = [
  latencyAlert,
  volumeDropAlert,
  accuracyDropAlert,
  predictionLogAlert,
];
