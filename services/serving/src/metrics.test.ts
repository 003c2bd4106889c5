import { PREDICTION_LATENCY, PREDICTION_LATENCY_BUCKETS } from "@mlops/contracts";
import { openSqliteStore } from "@mlops/store";
import fc from "fast-check";
import { Histogram, type Metric, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createMetrics, LatencyHistogram, recentAccuracy } from "./metrics.js";

const idle = () => ({ depth: 0, written: 0, dropped: 0, failedWrites: 0 });

describe("ab_variant_accuracy", () => {
  it("reports each arm's accuracy over the last hour, leaving out arms without outcomes", async () => {
    const store = openSqliteStore(":memory:");
    const now = Date.now();
    const predictions = Array.from({ length: 8 }, (_, i) => ({
      request_id: `r${i}`,
      experiment_id: "exp",
      variant: "champion",
      model_name: "m",
      model_version: 1,
      user_id: null,
      prediction: "a",
      probabilities: { a: 0.7, b: 0.3 },
      latency_ms: 3,
      status: "ok" as const,
      // Two of them are older than the hour the gauge covers.
      timestamp: i < 2 ? now - 2 * 3_600_000 : now - 1000,
    }));
    await store.predictions.insertMany(predictions);
    await store.outcomes.insertMany(
      predictions.map((p, i) => ({
        request_id: p.request_id,
        outcome: i % 3 === 0 ? "b" : "a",
        timestamp: now,
      })),
    );
    // Of the six recent ones (r2..r7), r3 and r6 are wrong.
    expect(await recentAccuracy(store, "exp", now)).toEqual([
      { experiment: "exp", variant: "champion", accuracy: 4 / 6 },
    ]);
    await store.close();
  });

  it("is empty, with the rest of the scrape intact, while there is no reading", async () => {
    const metrics = createMetrics(idle, () => []);
    const text = await metrics.registry.metrics();
    expect(text).toContain("# TYPE ab_variant_accuracy gauge");
    expect(text).not.toMatch(/^ab_variant_accuracy\{/m);
    expect(text).toContain("prediction_log_queue_depth 0");
  });
});

describe("pendingRequests", () => {
  const labels = { variant: "champion", model: "classifier@1", status: "ok" };
  const championOk = async (metrics: ReturnType<typeof createMetrics>) =>
    (await metrics.requests.get()).values.find((v) => v.labels.variant === "champion")?.value;

  it("puts its counts into the counter whenever it is read, once each", async () => {
    const metrics = createMetrics(idle, () => []);
    const count = metrics.pendingRequests(labels);
    count.inc();
    count.inc();
    expect(await championOk(metrics)).toBe(2);
    // Read again with nothing new: still 2, not counted twice.
    expect(await championOk(metrics)).toBe(2);
    count.inc();
    // Each way a count leaves the process: the scrape, and the JSON the cluster merges.
    expect(await metrics.registry.metrics()).toContain(
      'prediction_requests_total{variant="champion",model="classifier@1",status="ok"} 3',
    );
    count.inc();
    const json = await metrics.registry.getMetricsAsJSON();
    const requests = json.find((m) => m.name === "prediction_requests_total")!;
    expect(requests.values).toEqual([expect.objectContaining({ labels, value: 4 })]);
  });

  it("adds to what the counter's own labelled inc counted for the same labels", async () => {
    const metrics = createMetrics(idle, () => []);
    metrics.requests.labels(labels).inc(5);
    metrics.pendingRequests(labels).inc();
    expect(await championOk(metrics)).toBe(6);
  });
});

describe("LatencyHistogram", () => {
  const armLabels = [
    { variant: "champion", model: "classifier@1" },
    { variant: "challenger", model: "classifier@2" },
  ];
  const { name, help } = PREDICTION_LATENCY;
  const labelNames = [...PREDICTION_LATENCY.labels];

  /** The same observations into prom-client's Histogram and into ours, each in a registry. */
  async function both(observations: readonly (readonly [number, number])[]) {
    const theirs = new Registry();
    const reference = new Histogram({
      name,
      help,
      labelNames,
      buckets: [...PREDICTION_LATENCY_BUCKETS],
      registers: [theirs],
    });
    const ours = new Registry();
    const histogram = new LatencyHistogram(name, help, labelNames, PREDICTION_LATENCY_BUCKETS);
    ours.registerMetric(histogram as unknown as Metric);
    // Ours has a series from the moment it is bound, as prom-client's has after `zero`.
    const series = armLabels.map((labels) => histogram.labels(labels));
    for (const labels of armLabels) reference.zero(labels);
    for (const [arm, seconds] of observations) {
      reference.labels(armLabels[arm]).observe(seconds);
      series[arm].observe(seconds);
    }
    return { reference, histogram, theirs, ours };
  }

  it("reads exactly as prom-client's Histogram: get, the text and the JSON the cluster merges", async () => {
    const seconds = fc.oneof(
      fc.double({ min: 0, max: 20, noNaN: true }),
      fc.constantFrom(...PREDICTION_LATENCY_BUCKETS),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(0, 1), seconds), { maxLength: 60 }),
        async (observations) => {
          const { reference, histogram, theirs, ours } = await both(observations);
          expect(await histogram.get()).toEqual(await reference.get());
          expect(await ours.metrics()).toBe(await theirs.metrics());
          expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
        },
      ),
    );
  });

  it("merges across cluster workers as prom-client's does", async () => {
    const { AggregatorRegistry } = await import("prom-client");
    const a = await both([
      [0, 0.002],
      [1, 0.3],
    ]);
    const b = await both([
      [0, 0.04],
      [1, 7],
    ]);
    const merged = (registries: Registry[]) =>
      Promise.all(registries.map((r) => r.getMetricsAsJSON())).then((parts) =>
        AggregatorRegistry.aggregate(parts).metrics(),
      );
    expect(await merged([a.ours, b.ours])).toBe(await merged([a.theirs, b.theirs]));
  });

  it("binds one series per label values, whatever the names' order, and refuses other names", async () => {
    const { histogram } = await both([]);
    histogram.labels({ model: "classifier@1", variant: "champion" }).observe(0.01);
    const counts = (await histogram.get()).values.filter((v) => v.metricName === `${name}_count`);
    expect(counts.map((v) => v.value)).toEqual([1, 0]);
    expect(() => histogram.labels({ variant: "champion", arm: "x" })).toThrow(/no label "arm"/);
  });

  it("keeps its bound series at zero after a reset", async () => {
    const { histogram } = await both([[0, 0.01]]);
    histogram.reset();
    const values = (await histogram.get()).values;
    expect(values.every((v) => v.value === 0)).toBe(true);
  });
});
