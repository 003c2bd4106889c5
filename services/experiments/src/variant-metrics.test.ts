import { emptyAggregate, type VariantAggregate } from "@mlops/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lostToCancellation } from "./moments.js";
import {
  mergeVariantMetrics,
  metricMoments,
  type VariantMetrics,
  VariantMetricsAccumulator,
  variantMetricsFromAggregate,
} from "./variant-metrics.js";

const record = fc.record({
  latency: fc.integer({ min: 0, max: 5000 }),
  failed: fc.boolean(),
  outcome: fc.option(
    fc.record({
      correct: fc.constantFrom(0 as const, 1 as const),
      value: fc.option(fc.integer({ min: -100, max: 100 })),
      logLoss: fc.option(fc.double({ min: 0, max: 35, noNaN: true })),
    }),
  ),
});
type Rec = typeof record extends fc.Arbitrary<infer T> ? T : never;

function accumulate(variant: string, records: readonly Rec[]) {
  const acc = new VariantMetricsAccumulator(variant);
  for (const r of records) {
    acc.addPrediction(r.latency, r.failed);
    if (!r.failed && r.outcome !== null) acc.addOutcome(r.outcome);
  }
  return acc.metrics();
}

/** The sums a store's aggregate would return for the same records. */
function aggregateOf(variant: string, records: readonly Rec[]): VariantAggregate {
  const agg = emptyAggregate(variant);
  for (const r of records) {
    agg.count++;
    agg.error_count += r.failed ? 1 : 0;
    agg.latency_sum += r.latency;
    agg.latency_sum_sq += r.latency * r.latency;
    if (r.failed || r.outcome === null) continue;
    agg.outcome_count++;
    agg.correct_count += r.outcome.correct;
    if (r.outcome.value !== null) {
      agg.outcome_value_count++;
      agg.outcome_sum += r.outcome.value;
      agg.outcome_sum_sq += r.outcome.value ** 2;
    }
    if (r.outcome.logLoss !== null) {
      agg.log_loss_count++;
      agg.log_loss_sum += r.outcome.logLoss;
      agg.log_loss_sum_sq += r.outcome.logLoss ** 2;
    }
  }
  return agg;
}

const METRICS = ["latency_mean_ms", "error_rate", "accuracy", "outcome_mean", "log_loss"] as const;

/** `metric` has the same count, mean and sum of squared deviations in both (to rounding). */
function expectSameMoments(
  actual: VariantMetrics,
  expected: VariantMetrics,
  metric: (typeof METRICS)[number],
): void {
  const a = metricMoments(actual, metric)!;
  const b = metricMoments(expected, metric)!;
  expect(a.n).toBe(b.n);
  expect(a.mean).toBeCloseTo(b.mean, 6);
  if (Number.isNaN(b.m2)) {
    // Sums that cannot resolve the spread (momentsFromSums): the streamed one is within their
    // rounding, e.g. repeats of one fractional log loss.
    expect(lostToCancellation(a.m2, a.m2 + a.n * a.mean * a.mean, a.n)).toBe(true);
    return;
  }
  expect(Math.abs(a.m2 - b.m2)).toBeLessThanOrEqual(1e-6 * Math.max(1, b.m2));
}

describe("variant metrics", () => {
  it("a streamed accumulator and a store aggregate of the same records agree", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 200 }), (records) => {
        const streamed = accumulate("champion", records);
        const fromStore = variantMetricsFromAggregate(aggregateOf("champion", records));
        for (const metric of METRICS) expectSameMoments(streamed, fromStore, metric);
      }),
    );
  });

  it("reads whole sums exactly and refuses a fractional spread its sums cannot resolve", () => {
    // Repeats of one whole value: exact, so no variance rather than an unknown one.
    const whole = {
      ...emptyAggregate("x"),
      outcome_count: 2,
      outcome_value_count: 2,
      outcome_sum: -136,
      outcome_sum_sq: 9248,
    };
    expect(variantMetricsFromAggregate(whole).outcome.m2).toBe(0);
    // Repeats of one fractional value: the sums cannot tell them from a spread below rounding.
    const x = 0.1;
    const fractional = {
      ...emptyAggregate("x"),
      outcome_count: 3,
      outcome_value_count: 3,
      outcome_sum: x + x + x,
      outcome_sum_sq: x * x + x * x + x * x,
    };
    expect(variantMetricsFromAggregate(fractional).outcome.m2).toBeNaN();
  });

  it("merging two replicas' metrics equals streaming all their records", () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 100 }),
        fc.array(record, { maxLength: 100 }),
        (a, b) => {
          const merged = mergeVariantMetrics(accumulate("x", a), accumulate("x", b));
          const whole = accumulate("x", [...a, ...b]);
          for (const metric of METRICS) expectSameMoments(merged, whole, metric);
        },
      ),
    );
  });

  it("refuses to merge different variants", () => {
    expect(() => mergeVariantMetrics(accumulate("a", []), accumulate("b", []))).toThrow(
      "b.variant: must equal a.variant (a), got b",
    );
  });
});
