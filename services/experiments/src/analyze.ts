/**
 * `analyzeExperiment(store, id)`: read an experiment's per-variant sufficient statistics from a
 * store and decide. One aggregate query per variant covers counts, accuracy, numeric outcomes and
 * the guardrails; log loss, whose variance the aggregate cannot give, is streamed from the joined
 * (prediction, outcome) pairs in one pass. The running always-valid p-value comes from the
 * experiment's previous decisions.
 */
import type { Experiment, TimeWindow } from "@mlops/contracts";
import { outcomeTerms, type Store } from "@mlops/store";
import { type DecisionPolicy, type DecisionResult, decide, previousPValueOf } from "./decide.js";
import { ExperimentsInputError } from "./errors.js";
import { MomentAccumulator, type Moments } from "./moments.js";
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

async function streamLogLoss(
  store: Pick<Store, "predictions">,
  experimentId: string,
  variant: string,
  window: TimeWindow | undefined,
): Promise<Moments> {
  const acc = new MomentAccumulator();
  const query = { experiment_id: experimentId, variant, ...(window ? { window } : {}) };
  for await (const pair of store.predictions.joined(query)) {
    const logLoss = outcomeTerms(pair, pair.outcome)?.logLoss ?? null;
    if (logLoss !== null) acc.add(logLoss);
  }
  return acc.moments();
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
  let metrics = aggregates.map(variantMetricsFromAggregate);
  if (experiment.primary_metric === "log_loss") {
    metrics = await Promise.all(
      metrics.map(async (m) => ({
        ...m,
        logLoss: await streamLogLoss(store, experimentId, m.variant, opts.window),
      })),
    );
  }
  const previousPValue = previousPValueOf(await store.experiments.decisions(experimentId));
  const result = decide({ experiment, metrics, previousPValue }, opts.policy);
  return { experiment, metrics, previousPValue, result };
}
