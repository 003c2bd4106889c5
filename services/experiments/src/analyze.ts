/**
 * `analyzeExperiment(store, id)`: read an experiment's predictions from a store and decide. The
 * store first says which configurations assigned the predictions (assignment-report.ts); the
 * verdict reads the current configuration's period only, with the weight that configuration
 * recorded, and the report keeps the others beside it. One aggregate query per variant then
 * covers counts, accuracy, numeric outcomes, log loss and the guardrails (each with its sum of
 * squares); where the user is the unit (user-hash), one more read per variant gives its users
 * and the per-unit terms the split check and the primary metric's cluster-robust variance read.
 * The running always-valid p-value comes from previous decisions on the same period.
 */
import {
  type AggregateQuery,
  type AssignmentReport,
  assignmentKey,
  type Experiment,
  MAX_EPOCH_MS,
  type TimeWindow,
  type VariantAggregate,
  type VariantUnits,
} from "@mlops/contracts";
import type { Store } from "@mlops/store";
import {
  type AssignmentPeriod,
  assignmentReport,
  configuredWeights,
  countsUserOverlap,
  currentPeriod,
  splitsUsers,
} from "./assignment-report.js";
import { unitSumsOf } from "./clustered.js";
import { type DecisionResult, decide } from "./decide.js";
import type { DecisionPolicy } from "./decision-policy.js";
import { previousLooksOf } from "./decision-record.js";
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
  /**
   * The experiment as judged: the stored definition with the weights of the configuration whose
   * period was read (a stack moves its weight without redefining the experiment).
   */
  readonly experiment: Experiment;
  /** Statistics of the current period. */
  readonly metrics: VariantMetrics[];
  /** The predictions the metrics cover: the current period, within the requested window. */
  readonly window: TimeWindow | undefined;
  /** Which configurations assigned the data, their shares and checks, and what the verdict read. */
  readonly assignment: AssignmentReport;
  readonly previousPValue: number;
  readonly result: DecisionResult;
}

/** The current period's statistics and the assignment report around them. */
export interface PeriodRead {
  readonly period: AssignmentPeriod | null;
  /** The current period within the query's window (the query's window without predictions). */
  readonly window: TimeWindow | undefined;
  /** Per-variant statistics of that window. */
  readonly aggregates: VariantAggregate[];
  /** Per-variant users and per-unit terms of that window where the user is the unit, else null. */
  readonly units: VariantUnits[] | null;
  readonly assignment: AssignmentReport;
}

/**
 * Reads `query`'s configurations from `store`, then the statistics of the current period and,
 * where the unit is the user, its users and per-unit terms, or where it is not, how many users
 * it saw on several arms. `experimentWeights` check the
 * split of configurations that recorded no weight.
 */
export async function readCurrentPeriod(
  store: Pick<Store, "predictions">,
  query: AggregateQuery,
  experimentWeights: Readonly<Record<string, number>>,
): Promise<PeriodRead> {
  const groups = await store.predictions.assignments(query);
  const period = currentPeriod(groups);
  // currentPeriod starts within the groups read, so within the query's window.
  const window: TimeWindow | undefined =
    period === null ? query.window : { from: period.from, to: query.window?.to ?? MAX_EPOCH_MS };
  const read = { ...query, ...(window ? { window } : {}) };
  const [aggregates, units, users] = await Promise.all([
    store.predictions.aggregate(read),
    period !== null && splitsUsers(period.config) ? store.predictions.units(read) : null,
    period !== null && countsUserOverlap(period.config)
      ? store.predictions.usersInSeveralArms(read)
      : null,
  ]);
  const assignment = assignmentReport({
    groups,
    experimentWeights,
    period,
    periodPredictions: aggregates.reduce((s, a) => s + a.count, 0),
    usersInSeveralArms: users,
  });
  return { period, window, aggregates, units, assignment };
}

/**
 * Analyze experiment `experimentId` in `store` and decide (see `decide`) on its current
 * configuration's period. Writes nothing: the caller records the decision (`toDecisionRecord`)
 * and applies it. Throws `ExperimentsInputError` (UNKNOWN_EXPERIMENT) when the store has no such
 * experiment.
 */
export async function analyzeExperiment(
  store: Pick<Store, "experiments" | "predictions">,
  experimentId: string,
  opts: AnalyzeOptions = {},
): Promise<Analysis> {
  const stored = await store.experiments.get(experimentId);
  if (stored === null) {
    throw new ExperimentsInputError(
      "UNKNOWN_EXPERIMENT",
      "experimentId",
      `must name an experiment in the store, got ${JSON.stringify(experimentId)}`,
    );
  }
  const experimentWeights = Object.fromEntries(stored.variants.map((v) => [v.name, v.weight]));
  const query = {
    experiment_id: experimentId,
    variants: stored.variants.map((v) => v.name),
    ...(opts.window ? { window: opts.window } : {}),
  };
  const [{ period, window, aggregates, units, assignment }, decisions] = await Promise.all([
    readCurrentPeriod(store, query, experimentWeights),
    store.experiments.decisions(experimentId),
  ]);
  const weights =
    period === null ? experimentWeights : configuredWeights(period.config, experimentWeights);
  const experiment: Experiment = {
    ...stored,
    variants: stored.variants.map((v) => ({ ...v, weight: weights[v.name] as number })),
  };
  const metrics = aggregates.map(variantMetricsFromAggregate);
  const periodRef =
    period === null ? null : { key: assignmentKey(period.config), from: period.from };
  const previous = previousLooksOf(decisions, periodRef);
  const previousPValue = previous.pValue;
  // Under a user-hash split the user is the unit: the sample-ratio check counts users, and the
  // primary metric's variance treats a user's observations as one correlated unit.
  const byUser =
    units === null
      ? {}
      : {
          units: Object.fromEntries(units.map((u) => [u.variant, u.unit_count])),
          primaryUnits: Object.fromEntries(
            units.map((u) => [u.variant, unitSumsOf(u, stored.primary_metric)]),
          ),
        };
  const decided = decide(
    {
      experiment,
      metrics,
      previousPValue,
      previousSettledSign: previous.settledSign,
      ...byUser,
    },
    opts.policy,
  );
  // The decision's own reasons first; then what the data is and how it was read.
  const result: DecisionResult = {
    ...decided,
    reasons: [...decided.reasons, ...assignment.notes],
    period: periodRef,
    assignment,
  };
  return { experiment, metrics, window, assignment, previousPValue, result };
}
