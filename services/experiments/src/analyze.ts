/**
 * `analyzeExperiment(store, id)`: read an experiment's per-variant sufficient statistics from a
 * store and decide. One aggregate query per variant covers counts, accuracy, numeric outcomes, log
 * loss and the guardrails (each with its sum of squares). The running always-valid p-value comes
 * from the experiment's previous decisions.
 */
import type { Experiment, TimeWindow } from "@mlops/contracts";
import type { Store } from "@mlops/store";
import { type DecisionResult, decide } from "./decide.js";
import type { DecisionPolicy } from "./decision-policy.js";
import { previousPValueOf } from "./decision-record.js";
import { ExperimentsInputError } from "./errors.js";
import { type VariantMetrics, variantMetricsFromAggregate } from "./variant-metrics.js";

/** Options of `analyzeExperiment`. */
export interface AnalyzeOptions {
  /** Only predictions in [from, to). Default: all. */
  readonly window?: TimeWindow;
  readonly policy?: DecisionPolicy;
}

/** The experiment, the statistics read for it, and the decision. */
export interface Analysis {
  readonly experiment: Experiment;
  readonly metrics: VariantMetrics[];
  readonly previousPValue: number;
  readonly result: DecisionResult;
}

/**
 * Analyze experiment `experimentId` in `store` and decide (see `decide`). Writes nothing: the
 * caller records the decision (`toDecisionRecord`) and applies it. Throws `ExperimentsInputError`
 * (UNKNOWN_EXPERIMENT) when the store has no such experiment.
 */
export async function analyzeExperiment(
  store: Pick<Store, "experiments" | "predictions">,
  experimentId: string,
  opts: AnalyzeOptions = {},
): Promise<Analysis> {
  const experiment = await store.experiments.get(experimentId);
  if (experiment === null) {
    throw new ExperimentsInputError(
      "UNKNOWN_EXPERIMENT",
      "experimentId",
      `must name an experiment in the store, got ${experimentId}`,
    );
  }
  const variants = experiment.variants.map((v) => v.name);
  const aggregates = await store.predictions.aggregate({
    experiment_id: experimentId,
    variants,
    ...(opts.window ? { window: opts.window } : {}),
  });
  const metrics = aggregates.map(variantMetricsFromAggregate);
  const previousPValue = previousPValueOf(await store.experiments.decisions(experimentId));
  const result = decide({ experiment, metrics, previousPValue }, opts.policy);
  return { experiment, metrics, previousPValue, result };
}
