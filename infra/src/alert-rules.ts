import { AB_VARIANT_ACCURACY, PREDICTION_LATENCY, PREDICTION_REQUESTS } from "@mlops/contracts";

/**
 * The alerts behind the platform's promises, as data: each says what it watches, in which query
 * language, and when it fires. `Monitors` turns them into Azure resources; tests read them here.
 *
 * Where the signal lives decides the alert kind:
 * - the API's own Prometheus metrics (managed Prometheus) → Prometheus rule group alerts;
 * - HTTP status codes in workspace-based App Insights (Log Analytics tables) → scheduled query
 *   rules, since metric alerts cannot compute ratios;
 * - the synthetic health check → a metric alert on the web test's availability, the one case a
 *   platform metric answers directly.
 */

/** Percent of 5xx responses over which the API counts as failing. */
export const ERROR_RATE_PERCENT = 5;
/** p95 prediction latency (seconds) over which clients feel the API as slow. */
export const P95_LATENCY_SECONDS = 2;
/** Fraction of last week's volume below which a drop in predictions is an incident. */
export const VOLUME_DROP_RATIO = 0.5;
/** Absolute accuracy points a variant may lose against its own 7-day baseline. */
export const ACCURACY_DROP = 0.05;

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

export const logAlerts: readonly LogAlert[] = [errorRateAlert, dailyCapAlert];

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

export const prometheusAlerts: readonly PrometheusAlert[] = [
  latencyAlert,
  volumeDropAlert,
  accuracyDropAlert,
];
