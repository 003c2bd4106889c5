/**
 * Per-variant sufficient statistics of every metric an experiment reads: the model-quality
 * metrics (accuracy, log loss, a numeric outcome's mean) and the guardrails (latency, error rate).
 * They come either from a store's aggregate (plain sums, one row per variant) or from streaming
 * records through an accumulator (Welford), and they merge across batches and replicas.
 */
import type {
  CenteredSums,
  GuardrailMetric,
  PrimaryMetric,
  VariantAggregate,
} from "@mlops/contracts";
import { ExperimentsInputError } from "./errors.js";
import {
  bernoulliMoments,
  MomentAccumulator,
  type Moments,
  mergeMoments,
  momentsFromSums,
} from "./moments.js";

/** Sufficient statistics of one variant. */
export interface VariantMetrics {
  readonly variant: string;
  /** Latency in ms over every prediction (ok or failed). */
  readonly latency: Moments;
  /** 0/1 per prediction: 1 when it failed. */
  readonly errorRate: Moments;
  /** 0/1 per ok prediction with an outcome: 1 when the predicted class was right. */
  readonly accuracy: Moments;
  /** Numeric outcomes. */
  readonly outcome: Moments;
  /** Log loss per ok prediction with probabilities and an outcome. */
  readonly logLoss: Moments;
}

/** What one outcome contributes (the shape `@mlops/store`'s `outcomeTerms` returns). */
export interface OutcomeContribution {
  /** Null when the outcome names no class (a numeric value only). */
  readonly correct: 0 | 1 | null;
  readonly value: number | null;
  readonly logLoss: number | null;
}

/** The moments of `metric` in `m`, or null when they are not available. */
export function metricMoments(m: VariantMetrics, metric: PrimaryMetric | GuardrailMetric): Moments {
  switch (metric) {
    case "accuracy":
      return m.accuracy;
    case "log_loss":
      return m.logLoss;
    case "outcome_mean":
      return m.outcome;
    case "error_rate":
      return m.errorRate;
    case "latency_mean_ms":
      return m.latency;
  }
}

/**
 * A variant's metrics from a store aggregate. 0/1 metrics are exact; latency and numeric outcomes
 * and log loss go through their sums of squares (see `momentsFromSums`), about one of their own
 * values where the aggregate has them (`centered`), else the plain ones.
 */
export function variantMetricsFromAggregate(agg: VariantAggregate): VariantMetrics {
  const { centered: c } = agg;
  const sums = (n: number, sum: number, sumSq: number, about: CenteredSums | undefined) =>
    about === undefined
      ? momentsFromSums(n, sum, sumSq)
      : momentsFromSums(n, about.sum, about.sum_sq, about.shift);
  return {
    variant: agg.variant,
    latency: sums(agg.count, agg.latency_sum, agg.latency_sum_sq, c?.latency),
    errorRate: bernoulliMoments(agg.error_count, agg.count),
    accuracy: bernoulliMoments(agg.correct_count, agg.outcome_count),
    outcome: sums(agg.outcome_value_count, agg.outcome_sum, agg.outcome_sum_sq, c?.outcome),
    logLoss: sums(agg.log_loss_count, agg.log_loss_sum, agg.log_loss_sum_sq, c?.log_loss),
  };
}

/** Streams records of one variant into its metrics, one pass, constant memory. */
export class VariantMetricsAccumulator {
  private readonly latency = new MomentAccumulator();
  private readonly errorRate = new MomentAccumulator();
  private readonly accuracy = new MomentAccumulator();
  private readonly outcome = new MomentAccumulator();
  private readonly logLoss = new MomentAccumulator();

  constructor(readonly variant: string) {}

  /** One logged prediction. */
  addPrediction(latencyMs: number, failed: boolean): void {
    this.latency.add(latencyMs);
    this.errorRate.add(failed ? 1 : 0);
  }

  /** The outcome of an ok prediction. */
  addOutcome(terms: OutcomeContribution): void {
    if (terms.correct !== null) this.accuracy.add(terms.correct);
    if (terms.value !== null) this.outcome.add(terms.value);
    if (terms.logLoss !== null) this.logLoss.add(terms.logLoss);
  }

  /** The metrics so far. */
  metrics(): VariantMetrics {
    return {
      variant: this.variant,
      latency: this.latency.moments(),
      errorRate: this.errorRate.moments(),
      accuracy: this.accuracy.moments(),
      outcome: this.outcome.moments(),
      logLoss: this.logLoss.moments(),
    };
  }
}

/** The metrics of one variant over two disjoint batches (e.g. two replicas' accumulators). */
export function mergeVariantMetrics(a: VariantMetrics, b: VariantMetrics): VariantMetrics {
  if (a.variant !== b.variant) {
    throw new ExperimentsInputError(
      "UNKNOWN_VARIANT",
      "b.variant",
      `must equal a.variant (${a.variant}), got ${b.variant}`,
    );
  }
  return {
    variant: a.variant,
    latency: mergeMoments(a.latency, b.latency),
    errorRate: mergeMoments(a.errorRate, b.errorRate),
    accuracy: mergeMoments(a.accuracy, b.accuracy),
    outcome: mergeMoments(a.outcome, b.outcome),
    logLoss: mergeMoments(a.logLoss, b.logLoss),
  };
}
