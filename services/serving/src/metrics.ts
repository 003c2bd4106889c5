/**
 * Prometheus metrics (prom-client) under the names `@mlops/contracts` fixes, so the autoscaler's
 * queries and these series cannot drift apart. One registry per app instance: tests build many
 * apps in one process, and a shared default registry would refuse the second registration.
 */
import {
  type MetricSpec,
  PREDICTION_LATENCY,
  PREDICTION_LATENCY_BUCKETS,
  PREDICTION_LOG_DROPPED,
  PREDICTION_LOG_QUEUE_DEPTH,
  PREDICTION_LOG_WRITE_FAILURES,
  PREDICTION_REQUESTS,
} from "@mlops/contracts";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BatchingWriterStats } from "./batching-writer.js";

/** The serving metrics and the registry that exposes them. */
export interface ServingMetrics {
  readonly registry: Registry;
  readonly requests: Counter<string>;
  readonly latency: Histogram<string>;
}

function spec(m: MetricSpec) {
  return { name: m.name, help: m.help, labelNames: [...m.labels] };
}

/**
 * Creates the registry with the prediction metrics, process metrics, and the prediction-log
 * gauges read from `logStats` at scrape time (so the hot path never touches them).
 */
export function createMetrics(logStats: () => BatchingWriterStats): ServingMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ ...spec(PREDICTION_REQUESTS), registers: [registry] });
  const latency = new Histogram({
    ...spec(PREDICTION_LATENCY),
    buckets: [...PREDICTION_LATENCY_BUCKETS],
    registers: [registry],
  });
  new Gauge({
    ...spec(PREDICTION_LOG_QUEUE_DEPTH),
    registers: [registry],
    collect() {
      this.set(logStats().depth);
    },
  });
  // Counters mirrored from the writer's own totals: monotonic, so `rate()` works on them.
  for (const [m, read] of [
    [PREDICTION_LOG_DROPPED, (s: BatchingWriterStats) => s.dropped],
    [PREDICTION_LOG_WRITE_FAILURES, (s: BatchingWriterStats) => s.failedWrites],
  ] as const) {
    new Counter({
      ...spec(m),
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(logStats()));
      },
    });
  }
  return { registry, requests, latency };
}
