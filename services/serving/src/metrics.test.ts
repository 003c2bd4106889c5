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
