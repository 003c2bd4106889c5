/**
 * Prometheus metrics (prom-client) under the names `@mlops/contracts` fixes, so the autoscaler's
 * queries and these series cannot drift apart. One registry per app instance: tests build many
 * apps in one process, and a shared default registry would refuse the second registration.
 */
import {
  AB_VARIANT_ACCURACY,
  AB_VARIANT_ACCURACY_WINDOW_MS,
  CHALLENGER,
  CHAMPION,
  type MetricSpec,
  MODEL_LOAD_SECONDS,
  PREDICTION_LATENCY,
  PREDICTION_LATENCY_BUCKETS,
  PREDICTION_LOG_DROPPED,
  PREDICTION_LOG_QUEUE_DEPTH,
  PREDICTION_LOG_WRITE_FAILURES,
  PREDICTION_OVERRIDES,
  PREDICTION_REQUESTS,
} from "@mlops/contracts";
import type { Store } from "@mlops/store";
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  type Metric,
  type MetricObjectWithValues,
  type MetricValueWithName,
  Registry,
} from "prom-client";
import type { BatchingWriterStats } from "./batching-writer.js";
import type { ModelLoad } from "./models/served.js";

/** One label set's count, kept as a plain number until the counter is read. */
export interface PendingCount {
  inc(): void;
}

/** What one observation goes to: a label set's buckets, bound once. */
export interface LatencySeries {
  observe(seconds: number): void;
}

/**
 * A histogram for the hot path: per label set, bucket counts, a sum and a count in plain
 * numbers, bound once by `labels`. prom-client's labelled `observe` validates the label set and
 * builds and looks up its hash string on every call (~4 µs of a loaded worker's CPU a
 * prediction). It sits in the registry as prom-client's own metrics do, and `get` answers in
 * prom-client's histogram format: what /metrics prints, the cluster primary merges and the
 * dashboard reads (a test holds it to prom-client's `Histogram` for the same observations).
 */
export class LatencyHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly series = new Map<
    string,
    { labels: Record<string, string>; counts: Float64Array; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    /** Ascending upper bounds; an observation above the last is counted in `+Inf` only. */
    private readonly bounds: readonly number[],
  ) {}

  /**
   * The series of `labels` (created at zero the first time). As in prom-client, a series is its
   * label values, whatever order the names come in, and a name outside `labelNames` is an error.
   */
  labels(labels: Record<string, string>): LatencySeries {
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name)) {
        throw new Error(
          `${this.name} has no label "${name}" (labels: ${this.labelNames.join(", ")})`,
        );
      }
    }
    const key = JSON.stringify(this.labelNames.map((name) => labels[name] ?? null));
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        labels: { ...labels },
        counts: new Float64Array(this.bounds.length),
        sum: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    const { bounds } = this;
    const into = series;
    return {
      observe(seconds) {
        let b = 0;
        while (b < bounds.length && seconds > bounds[b]) b++;
        if (b < bounds.length) into.counts[b]++;
        into.sum += seconds;
        into.count++;
      },
    };
  }

  /** Every series as prom-client's `Histogram.get` gives it: cumulative buckets, `+Inf`, sum, count. */
  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values = [...this.series.values()].flatMap(({ labels, counts, sum, count }) => {
      let cumulative = 0;
      const bucket = (le: number | string, value: number) => ({
        value,
        metricName: `${this.name}_bucket`,
        exemplar: null,
        labels: { le, ...labels },
      });
      return [
        ...this.bounds.map((le, b) => {
          cumulative += counts[b];
          return bucket(le, cumulative);
        }),
        bucket("+Inf", count),
        { value: sum, metricName: `${this.name}_sum`, exemplar: undefined, labels: { ...labels } },
        {
          value: count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
          labels: { ...labels },
        },
      ];
    });
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values } as unknown as MetricObjectWithValues<
      MetricValueWithName<string>
    >;
  }

  /** Back to no observations (the series stay bound, at zero). */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

/** The serving metrics and the registry that exposes them. */
export interface ServingMetrics {
  readonly registry: Registry;
  readonly requests: Counter<string>;
  /**
   * A hot-path handle on `requests` for one label set. prom-client's labelled `inc` validates
   * and hashes the label set on every call; this one adds 1 to a number, and the sum goes into
   * `requests` whenever it is read (a scrape, the cluster's merge, the dashboard).
   */
  pendingRequests(labels: Record<string, string>): PendingCount;
  readonly latency: LatencyHistogram;
  /** Predictions on an arm a trusted caller forced: apart from `requests` and the A/B data. */
  readonly overrides: Counter<string>;
}

function spec(m: MetricSpec) {
  return { name: m.name, help: m.help, labelNames: [...m.labels] };
}

/** One arm's accuracy as `AB_VARIANT_ACCURACY` reports it. */
export interface VariantAccuracy {
  readonly experiment: string;
  readonly variant: string;
  readonly accuracy: number;
}

/**
 * Each arm's accuracy over the `AB_VARIANT_ACCURACY_WINDOW_MS` before `now`, from the store's
 * per-variant aggregates (one indexed query per arm); arms with no outcome in the window are
 * left out rather than reported as 0.
 */
export async function recentAccuracy(
  store: Pick<Store, "predictions">,
  experimentId: string,
  now: number,
): Promise<VariantAccuracy[]> {
  const aggregates = await store.predictions.aggregate({
    experiment_id: experimentId,
    variants: [CHAMPION, CHALLENGER],
    window: { from: now - AB_VARIANT_ACCURACY_WINDOW_MS, to: now },
  });
  return aggregates
    .filter((a) => a.outcome_count > 0)
    .map((a) => ({
      experiment: experimentId,
      variant: a.variant,
      accuracy: a.correct_count / a.outcome_count,
    }));
}

/**
 * Creates the registry with the prediction metrics, process metrics, the prediction-log gauges
 * read from `logStats`, and each arm's accuracy read from `abAccuracy` — all at scrape time, so
 * the hot path never touches them. `abAccuracy` answers at once with what it has (app.ts: the
 * last reading of the store, computed in the background): the autoscaler reads /metrics too, and
 * a scrape must not wait for an aggregate over a large log or for a store that is down (the
 * gauge is then empty).
 */
export function createMetrics(
  logStats: () => BatchingWriterStats,
  abAccuracy: () => readonly VariantAccuracy[],
): ServingMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const pending: { readonly child: { inc(n: number): void }; n: number }[] = [];
  const requests = new Counter({
    ...spec(PREDICTION_REQUESTS),
    registers: [registry],
    collect() {
      for (const count of pending) {
        if (count.n > 0) count.child.inc(count.n);
        count.n = 0;
      }
    },
  });
  const pendingRequests = (labels: Record<string, string>): PendingCount => {
    const count = { child: requests.labels(labels), n: 0 };
    pending.push(count);
    return {
      inc() {
        count.n++;
      },
    };
  };
  const { name, help, labelNames } = spec(PREDICTION_LATENCY);
  const latency = new LatencyHistogram(name, help, labelNames, PREDICTION_LATENCY_BUCKETS);
  // Registered as prom-client's own metrics are; the registry reads `name`, `get` and `reset`.
  registry.registerMetric(latency as unknown as Metric);
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
  new Gauge({
    ...spec(AB_VARIANT_ACCURACY),
    registers: [registry],
    // Every process reads the same store: merged over the machine's processes, one reading is the value.
    aggregator: "first",
    collect() {
      this.reset();
      for (const { experiment, variant, accuracy } of abAccuracy())
        this.set({ experiment, variant }, accuracy);
    },
  });
  const overrides = new Counter({ ...spec(PREDICTION_OVERRIDES), registers: [registry] });
  return { registry, requests, pendingRequests, latency, overrides };
}

/** The `MODEL_LOAD_SECONDS` gauge, set for the models this process loaded at start. */
export function registerModelLoads(registry: Registry, loads: readonly ModelLoad[]): Gauge {
  // Each serving process loads its own copy: merged, the gauge reports the average load time.
  const gauge = new Gauge({
    ...spec(MODEL_LOAD_SECONDS),
    registers: [registry],
    aggregator: "average",
  });
  for (const load of loads) gauge.set({ model: load.model }, load.ms / 1000);
  return gauge;
}
