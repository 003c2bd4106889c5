/**
 * `analyzeExperiment(store, id)`: read an experiment's predictions from a store and decide. The
 * store first says which configurations assigned the predictions (assignment-report.ts); the
 * verdict reads the current configuration's period only, with the weight that configuration
 * recorded, and the report keeps the others beside it. One aggregate query per variant then
 * covers counts, accuracy, numeric outcomes, log loss and the guardrails (each with its sum of
 * squares); where the user is the unit (user-hash), one more read per variant gives its users
 * and the per-unit terms the split check and the primary metric's cluster-robust variance read.
 * The running always-valid p-value comes from previous decisions on the same period.
 *
 * A concluded experiment is final: it is read as it stood when the decision that concluded it
 * was taken (predictions up to that decision's time, the looks before it), so its report does
 * not drift with the traffic served after it. After a promotion the stack keeps serving under
 * the experiment's id with the canary closed, and those predictions belong to no comparison.
 */
import {
  type AggregateQuery,
  type AssignmentReport,
  assignmentKey,
  type Decision,
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
import { clusteredSummary, unitSumsOf } from "./clustered.js";
import { type DecisionResult, decide } from "./decide.js";
import type { DecisionPolicy } from "./decision-policy.js";
import { previousLooksOf } from "./decision-record.js";
import { ExperimentsInputError } from "./errors.js";
import { lostSpread } from "./moments.js";
import {
  metricMoments,
  type VariantMetrics,
  variantMetricsFromAggregate,
} from "./variant-metrics.js";

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
  /**
   * The recorded decision that concluded the experiment (its promote or rollback), when it is
   * concluded: the analysis then reads the predictions up to its time.
   */
  readonly concludedBy: Decision | null;
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
  const byUser = period !== null && splitsUsers(period.config);
  const [plain, users] = await Promise.all([
    readStatistics(store, read, byUser),
    period !== null && countsUserOverlap(period.config)
      ? store.predictions.usersInSeveralArms(read)
      : null,
  ]);
  // Rare (a metric's mean far above its spread, or one fraction repeated): read again about one
  // of each metric's own values, where the lost digits are kept.
  const { aggregates, units } = plain.lost
    ? await readStatistics(store, { ...read, centered: true }, byUser)
    : plain;
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
 * The per-variant aggregates of `read` and, `byUser`, its units; `lost` when a variance the
 * analysis may read is lost to cancellation in them (plain sums only: centered ones keep it).
 */
async function readStatistics(
  store: Pick<Store, "predictions">,
  read: AggregateQuery,
  byUser: boolean,
): Promise<{ aggregates: VariantAggregate[]; units: VariantUnits[] | null; lost: boolean }> {
  const [aggregates, units] = await Promise.all([
    store.predictions.aggregate(read),
    byUser ? store.predictions.units(read) : null,
  ]);
  const lost =
    read.centered !== true &&
    aggregates.some((agg) => {
      const m = variantMetricsFromAggregate(agg);
      if ([m.latency, m.outcome, m.logLoss].some(lostSpread)) return true;
      const u = units?.find((x) => x.variant === agg.variant);
      return (
        u !== undefined &&
        NUMERIC_PRIMARY.some((metric) => {
          const sums = unitSumsOf(u, metric);
          const moments = metricMoments(m, metric);
          return sums.units > 1 && Number.isNaN(clusteredSummary(moments, sums).variance);
        })
      );
    });
  return { aggregates, units, lost };
}

/** The primary metrics whose per-unit sums are not whole numbers (accuracy's are exact). */
const NUMERIC_PRIMARY = ["outcome_mean", "log_loss"] as const;

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
  // Read beside the predictions, unless the experiment is concluded: its decision bounds them.
  const reading = store.experiments.decisions(experimentId);
  const concludedBy = stored.state === "concluded" ? concludingDecision(await reading) : null;
  const requested = concludedBy === null ? opts.window : endedBy(opts.window, concludedBy);
  const query = {
    experiment_id: experimentId,
    variants: stored.variants.map((v) => v.name),
    ...(requested ? { window: requested } : {}),
  };
  const [{ period, window, aggregates, units, assignment }, recorded] = await Promise.all([
    readCurrentPeriod(store, query, experimentWeights),
    reading,
  ]);
  // A concluded experiment's looks end with the one that concluded it, and so do its data.
  const decisions =
    concludedBy === null ? recorded : recorded.slice(0, recorded.indexOf(concludedBy));
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
    reasons: [
      ...decided.reasons,
      ...assignment.notes,
      ...(concludedBy === null ? [] : [concludedNote(concludedBy)]),
    ],
    period: periodRef,
    assignment,
  };
  return { experiment, metrics, window, assignment, previousPValue, result, concludedBy };
}

/** The newest promote or rollback among `decisions` (oldest first): what concluded them. */
export function concludingDecision(decisions: readonly Decision[]): Decision | null {
  return decisions.findLast((d) => d.decision === "promote" || d.decision === "rollback") ?? null;
}

/** `window` (all time when unset) ending no later than `decision`: its predictions, not newer ones. */
function endedBy(window: TimeWindow | undefined, decision: Decision): TimeWindow {
  const from = window?.from ?? 0;
  // The window is [from, to): a prediction logged in the decision's millisecond preceded it.
  const to = Math.min(window?.to ?? MAX_EPOCH_MS, decision.decided_at + 1);
  return { from: Math.min(from, to), to };
}

/** The reason line that says the experiment is over and what it was read as. */
function concludedNote(decision: Decision): string {
  return `the experiment was concluded by decision ${decision.id} (${decision.decision}, ${new Date(decision.decided_at).toISOString()}); it is read as it stood then, and predictions served after it belong to no comparison`;
}
