/**
 * Prometheus metric names the prediction API exports and the autoscaler and dashboards query.
 * Both sides import them from here so a rename cannot silently break scaling.
 */

/** A metric's name, type, labels and help text as `prom-client` registers it. */
export interface MetricSpec {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly labels: readonly string[];
  readonly help: string;
}

/** Spec builders by type, named like prom-client's constructors: `counter(name, labels, help)`. */
const spec =
  (type: MetricSpec["type"]) =>
  (name: string, labels: readonly string[], help: string): MetricSpec => ({
    name,
    type,
    labels,
    help,
  });
const counter = spec("counter");
const gauge = spec("gauge");
const histogram = spec("histogram");

/**
 * Counter of prediction requests; `status` is `ok`, `error`, or `cancelled` (a GARCH fit dropped
 * because its caller hung up: neither an answer nor the server's failure). The autoscaler's signal.
 */
export const PREDICTION_REQUESTS: MetricSpec = counter(
  "prediction_requests_total",
  ["variant", "model", "status"],
  "Prediction requests served, by variant, model (name@version) and status.",
);

/** Histogram of prediction latency in seconds (Prometheus base unit). */
export const PREDICTION_LATENCY: MetricSpec = histogram(
  "prediction_latency_seconds",
  ["variant", "model"],
  "Time to compute a prediction, in seconds.",
);

/** Bucket upper bounds for `PREDICTION_LATENCY`: 0.5 ms to 2.5 s, dense where p99 targets sit. */
export const PREDICTION_LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** Gauge of prediction records waiting in the log writer's buffer. */
export const PREDICTION_LOG_QUEUE_DEPTH: MetricSpec = gauge(
  "prediction_log_queue_depth",
  [],
  "Prediction records buffered for the store.",
);

/** Counter of prediction records dropped because the log buffer was full. */
export const PREDICTION_LOG_DROPPED: MetricSpec = counter(
  "prediction_log_dropped_total",
  [],
  "Prediction records dropped because the log buffer was full.",
);

/** Counter of prediction-log batches that failed to write (and were retried). */
export const PREDICTION_LOG_WRITE_FAILURES: MetricSpec = counter(
  "prediction_log_write_failures_total",
  [],
  "Failed attempts to write a batch of prediction records to the store.",
);

/**
 * Counter of predictions a trusted caller forced onto an arm (the canary override, `edge.ts`):
 * served, but kept out of `PREDICTION_REQUESTS` and of the prediction log, so neither the
 * autoscaler's nor the A/B analysis's numbers see them.
 */
export const PREDICTION_OVERRIDES: MetricSpec = counter(
  "prediction_overrides_total",
  ["variant", "model"],
  "Predictions served on an arm a trusted caller forced (excluded from the A/B analysis).",
);

/**
 * Gauge of each arm's accuracy over the last hour in the experiment the process serves: the
 * share of predictions with a posted outcome that were right, read from the store (so every
 * replica reports the same numbers) when Prometheus scrapes. The accuracy-drop alert compares
 * it with its own week.
 */
export const AB_VARIANT_ACCURACY: MetricSpec = gauge(
  "ab_variant_accuracy",
  ["experiment", "variant"],
  "Accuracy of the last hour's predictions that have an outcome, per A/B variant (from the store).",
);

/**
 * Gauge of how long each served model took to load at start (resolve in the registry, read and
 * verify the artifact, restore the model), in seconds; `model` is `name@version`.
 */
export const MODEL_LOAD_SECONDS: MetricSpec = gauge(
  "model_load_seconds",
  ["model"],
  "Seconds the served model took to load (registry, artifact, restore): at start, and again for the default GARCH model when a promotion moves its alias.",
);

/** The window `AB_VARIANT_ACCURACY` covers, in milliseconds. */
export const AB_VARIANT_ACCURACY_WINDOW_MS = 3_600_000;

/**
 * The per-pod rate a custom-metrics adapter exposes for an `autoscaling/v2` Pods metric (the
 * alternative to KEDA): `rate(prediction_requests_total[window])` per pod.
 */
export const PREDICTIONS_PER_SECOND_POD_METRIC = "prediction_requests_per_second";

/** Every metric the API exports, for registration and for dashboards. */
export const SERVING_METRICS: readonly MetricSpec[] = [
  PREDICTION_REQUESTS,
  PREDICTION_LATENCY,
  PREDICTION_LOG_QUEUE_DEPTH,
  PREDICTION_LOG_DROPPED,
  PREDICTION_LOG_WRITE_FAILURES,
  PREDICTION_OVERRIDES,
  AB_VARIANT_ACCURACY,
  MODEL_LOAD_SECONDS,
];

/**
 * PromQL for the prediction rate of the pods matching `selector` (label matchers without braces,
 * e.g. `namespace="serving",variant="challenger"`), summed over pods.
 */
export function predictionRateQuery(selector: string, window = "1m"): string {
  const matchers = selector === "" ? "" : `{${selector}}`;
  return `sum(rate(${PREDICTION_REQUESTS.name}${matchers}[${window}]))`;
}
