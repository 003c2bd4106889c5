/**
 * Live traffic for the dashboard, read from the process's own Prometheus metrics rather than the
 * store: a timer snapshots the prediction counter, the latency histogram and the prediction-log
 * counters every few seconds into a ring buffer, and a view is the differences between
 * consecutive snapshots. Reading it costs a few array passes, whatever the load, so the page
 * stays responsive while the API is busy.
 */
import type { ServedVariant } from "@mlops/contracts";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { BatchingWriterStats } from "../batching-writer.js";
import type { ServingMetrics } from "../metrics.js";
import type { TrafficView } from "./schemas.js";

/** Cumulative counts of one variant at one instant. */
interface VariantCounts {
  ok: number;
  error: number;
  /** Latency observations at or below each bucket bound (seconds), cumulative as Prometheus. */
  buckets: Map<number, number>;
}

/** Every counter the view needs, at one instant. */
export interface Snapshot {
  /** Epoch ms. */
  readonly at: number;
  readonly variants: ReadonlyMap<ServedVariant, VariantCounts>;
  readonly log: BatchingWriterStats;
}

const VARIANTS: readonly ServedVariant[] = ["champion", "challenger"];

/**
 * What a snapshot is read from: the prediction counter and latency histogram (prom-client JSON,
 * this process's, or every serving process's of the machine merged) and the prediction log's
 * counters.
 */
export interface TrafficSource {
  readonly requests: MetricObjectWithValues<MetricValue<string>>;
  readonly latency: MetricObjectWithValues<MetricValue<string>>;
  readonly log: BatchingWriterStats;
}

/** This process's traffic source. */
export async function localTraffic(
  metrics: Pick<ServingMetrics, "requests" | "latency">,
  log: BatchingWriterStats,
): Promise<TrafficSource> {
  return { requests: await metrics.requests.get(), latency: await metrics.latency.get(), log };
}

/** The counters of `source` at `at`. Children of one variant (one per model) are summed. */
export function snapshot({ requests, latency, log }: TrafficSource, at: number): Snapshot {
  const variants = new Map<ServedVariant, VariantCounts>(
    VARIANTS.map((v) => [v, { ok: 0, error: 0, buckets: new Map() }]),
  );
  for (const { labels, value } of requests.values) {
    const counts = variants.get(labels.variant as ServedVariant);
    if (counts && (labels.status === "ok" || labels.status === "error")) {
      counts[labels.status] += value;
    }
  }
  for (const entry of latency.values) {
    const { labels, value } = entry;
    const counts = variants.get(labels.variant as ServedVariant);
    // Only the `_bucket` series carry `le`; `+Inf` is the total, which `ok` already counts.
    if (!counts || labels.le === undefined || labels.le === "+Inf") continue;
    const bound = Number(labels.le);
    counts.buckets.set(bound, (counts.buckets.get(bound) ?? 0) + value);
  }
  return { at, variants, log };
}

/**
 * The q-quantile of the observations counted by `buckets` (bound → observations ≤ bound,
 * cumulative; ascending bounds) out of `total`, interpolated linearly inside the bucket it falls
 * in, as Prometheus' `histogram_quantile` does. Observations above the last bound are reported
 * at that bound. Null when there are none.
 */
export function histogramQuantile(
  q: number,
  buckets: readonly (readonly [number, number])[],
  total: number,
): number | null {
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      const inBucket = count - lowerCount;
      return inBucket === 0
        ? bound
        : lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

/** The latency buckets observed between two snapshots, summed over variants, ascending. */
function bucketDelta(from: Snapshot, to: Snapshot): [number, number][] {
  const delta = new Map<number, number>();
  for (const v of VARIANTS) {
    const before = from.variants.get(v)!.buckets;
    for (const [bound, count] of to.variants.get(v)!.buckets) {
      delta.set(bound, (delta.get(bound) ?? 0) + count - (before.get(bound) ?? 0));
    }
  }
  return [...delta].sort((a, b) => a[0] - b[0]);
}

function totalsOf(s: Snapshot, variant: ServedVariant) {
  const { ok, error } = s.variants.get(variant)!;
  return { ok, error };
}

const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);

/** The view of `samples` (oldest first) with totals and log counters from `now`. */
export function trafficView(
  samples: readonly Snapshot[],
  now: Snapshot,
  intervalMs: number,
): TrafficView {
  const view: TrafficView = {
    generated_at: now.at,
    interval_s: intervalMs / 1000,
    t: [],
    rate: { champion: [], challenger: [] },
    latency_ms: { p50: [], p95: [], p99: [] },
    error_rate: [],
    queue_depth: [],
    totals: { champion: totalsOf(now, "champion"), challenger: totalsOf(now, "challenger") },
    log: {
      depth: now.log.depth,
      written: now.log.written,
      dropped: now.log.dropped,
      failed_writes: now.log.failedWrites,
    },
  };
  for (let i = 1; i < samples.length; i++) {
    const from = samples[i - 1]!;
    const to = samples[i]!;
    const seconds = (to.at - from.at) / 1000;
    let ok = 0;
    let failed = 0;
    for (const v of VARIANTS) {
      const a = from.variants.get(v)!;
      const b = to.variants.get(v)!;
      view.rate[v]!.push((b.ok + b.error - a.ok - a.error) / seconds);
      ok += b.ok - a.ok;
      failed += b.error - a.error;
    }
    const buckets = bucketDelta(from, to);
    view.t.push(to.at / 1000);
    view.latency_ms.p50.push(ms(histogramQuantile(0.5, buckets, ok)));
    view.latency_ms.p95.push(ms(histogramQuantile(0.95, buckets, ok)));
    view.latency_ms.p99.push(ms(histogramQuantile(0.99, buckets, ok)));
    view.error_rate.push(ok + failed === 0 ? null : failed / (ok + failed));
    view.queue_depth.push(to.log.depth);
  }
  return view;
}

/** A fixed-size buffer of the latest snapshots. */
export class SnapshotRing {
  private readonly items: Snapshot[] = [];
  constructor(private readonly capacity: number) {}

  push(item: Snapshot): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  /** Oldest first. */
  list(): readonly Snapshot[] {
    return this.items;
  }
}
