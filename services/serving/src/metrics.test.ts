import { openSqliteStore } from "@mlops/store";
import { describe, expect, it } from "vitest";
import { createMetrics, recentAccuracy } from "./metrics.js";

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

  it("leaves the gauge empty, not /metrics broken, when the store does not answer", async () => {
    const metrics = createMetrics(idle, () => Promise.reject(new Error("store down")));
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
    const metrics = createMetrics(idle, async () => []);
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
    const metrics = createMetrics(idle, async () => []);
    metrics.requests.labels(labels).inc(5);
    metrics.pendingRequests(labels).inc();
    expect(await championOk(metrics)).toBe(6);
  });
});
