import { MAX_TIMER_MS } from "@mlops/contracts";
import { type Dataset, selectRows, stratifiedSplit, takeRows } from "../dataset.js";
import { OptionError } from "../errors.js";
import type { TrainingData } from "../forest/fit.js";
import type { ForestOptions } from "../forest/options.js";
import type { TrainingPool } from "../forest/pool.js";
import type { GbdtOptions } from "../gbdt/options.js";
import { type Assignment, gridAssignments, randomAssignment, type SearchSpace } from "./space.js";
import {
  checkPolicy,
  decide,
  isEvaluatedAt,
  type TerminationPolicy,
  type TrialHistory,
} from "./termination.js";
import { checkBayesianSpace, type Observation, tpeAssignment } from "./tpe.js";
import { checkTrainerSpace } from "./trainer-space.js";
import {
  DEFAULT_REPORT_EVERY,
  SWEEP_ALGORITHMS,
  type SweepAlgorithm,
  type TrialReport,
  trainTrial,
} from "./trainers.js";

/** A hyperparameter sweep over random-forest or gradient-boosted trees options. */
export interface SweepDefinition {
  /** What each trial trains. @default "forest" */
  algorithm?: SweepAlgorithm;
  /** Options of the algorithm to search; each trial's values override `fixed`. */
  space: SearchSpace;
  /**
   * `grid` tries every combination (choice only); `random` draws seeded assignments; `bayesian`
   * (TPE, see {@link tpeAssignment}) learns from completed trials: choice, uniform, quniform and
   * loguniform only, and no early termination, as in Azure ML.
   */
  sampling:
    | { kind: "grid" }
    | { kind: "random"; seed?: number }
    | { kind: "bayesian"; seed?: number };
  /** Options every trial shares (the algorithm's). @default {} */
  fixed?: ForestOptions | GbdtOptions;
  /** Trials to run at most. */
  maxTrials: number;
  /** Trials running at once. @default 1 */
  maxConcurrent?: number;
  /** Stop starting trials and stop running ones after this many milliseconds. */
  timeoutMs?: number;
  /** Early termination; none by default. */
  policy?: TerminationPolicy;
  /**
   * Trees (forest) or boosting rounds (gbdt) per metric report: each report of validation
   * accuracy is one interval. @default 10 for the forest, 1 for gbdt (see {@link DEFAULT_REPORT_EVERY})
   */
  reportEvery?: number;
  /** Seed of the validation rows carved from the training part. @default 42 */
  validationSeed?: number;
}

/** How a trial ended. */
export type TrialStatus = "completed" | "terminated" | "cancelled" | "failed";

/** One trial of a sweep. */
export interface TrialResult {
  readonly index: number;
  readonly assignment: Assignment;
  readonly status: TrialStatus;
  /** Validation accuracy at each interval (the primary metric's history). */
  readonly history: readonly number[];
  /** Trees (forest) or boosting rounds (gbdt) trained at each interval: the history's steps. */
  readonly steps: readonly number[];
  /** Validation log loss at each interval (gbdt only; empty for the forest). */
  readonly losses: readonly number[];
  /** When each interval's report was measured, epoch milliseconds. */
  readonly times: readonly number[];
  /** Validation accuracy of the model trained (the last report), when any was. */
  readonly accuracy: number | undefined;
  /** Trees (forest) or boosting rounds (gbdt) trained; a terminated trial's stop short of the end. */
  readonly trained: number;
  /** Why a trial was terminated, cancelled or failed. */
  readonly reason: string | undefined;
  /** Start and end, epoch milliseconds. */
  readonly startTime: number;
  readonly endTime: number;
}

/** A finished sweep. */
export interface SweepResult {
  readonly trials: readonly TrialResult[];
  /** The completed trial with the highest validation accuracy (earliest on ties). */
  readonly best: TrialResult | undefined;
  readonly terminated: number;
  readonly timedOut: boolean;
}

/** How to run a sweep. */
export interface SweepRunOptions {
  /** Worker threads forest trials share; without one, they train on the calling thread. */
  pool?: TrainingPool;
  /** Histogram threads of each gbdt trial. @default 1 */
  threads?: number;
  /** Called as each trial ends. */
  onTrial?: (trial: TrialResult) => void;
  /** Called at each report of a trial (its `interval`-th): validation accuracy and more. */
  onReport?: (trialIndex: number, interval: number, report: TrialReport) => void;
  /**
   * Stops the sweep as its timeout would: no trial starts after it, and those running are
   * cancelled with the signal's reason.
   */
  signal?: AbortSignal;
}

/** How many trials a sweep runs unless it times out: maxTrials, or fewer grid points. */
export function plannedTrials(definition: SweepDefinition): number {
  return definition.sampling.kind === "grid"
    ? Math.min(gridAssignments(definition.space).length, definition.maxTrials)
    : definition.maxTrials;
}

/** What a definition means where it leaves things to their defaults. */
export interface SweepSettings {
  readonly algorithm: SweepAlgorithm;
  readonly reportEvery: number;
  /** The seed of random and Bayesian sampling; grid sampling draws nothing. */
  readonly seed: number | undefined;
  readonly validationSeed: number;
}

/** The algorithm, report interval and seeds a definition means, with their defaults. */
export function sweepSettings(definition: SweepDefinition): SweepSettings {
  const algorithm = definition.algorithm ?? "forest";
  const { sampling } = definition;
  return {
    algorithm,
    reportEvery: definition.reportEvery ?? DEFAULT_REPORT_EVERY[algorithm],
    seed: sampling.kind === "grid" ? undefined : (sampling.seed ?? 42),
    validationSeed: definition.validationSeed ?? 42,
  };
}

/**
 * Checks a definition as both the local runner and an Azure ML sweep job need it; throws
 * {@link OptionError} naming the field and the rule. The space is checked against its trainer's
 * rules up front (see {@link checkTrainerSpace}); a trial whose options break a rule that depends
 * on the data fails on its own.
 */
export function checkDefinition(definition: SweepDefinition): void {
  const algorithm = definition.algorithm ?? "forest";
  if (!SWEEP_ALGORITHMS.includes(algorithm)) {
    throw new OptionError("algorithm", `must be one of ${SWEEP_ALGORITHMS.join(", ")}`, algorithm);
  }
  const { reportEvery } = sweepSettings(definition);
  const { maxTrials, maxConcurrent = 1, policy, sampling } = definition;
  checkTrainerSpace(algorithm, definition.space, definition.fixed);
  if (policy) checkPolicy(policy);
  for (const [name, value, min] of [
    ["maxTrials", maxTrials, 1],
    ["maxConcurrent", maxConcurrent, 1],
    ["reportEvery", reportEvery, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new OptionError(name, `must be an integer ≥ ${min}`, value);
    }
  }
  const { timeoutMs } = definition;
  if (timeoutMs !== undefined && !(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
    throw new OptionError("timeoutMs", `must be milliseconds in (0, ${MAX_TIMER_MS}]`, timeoutMs);
  }
  if (sampling.kind === "grid") gridAssignments(definition.space);
  if (sampling.kind === "bayesian") {
    checkBayesianSpace(definition.space);
    // Azure ML's Bayesian sampling takes no early-termination policy; keep definitions portable.
    if (policy)
      throw new OptionError("policy", "is not supported with Bayesian sampling", policy.kind);
  }
}

/**
 * Runs a sweep on `dataset`'s training part: a stratified 20 % of it (seeded) is the validation
 * set that trials report accuracy on while trees or boosting rounds are added, and the rest is
 * what they fit. The held-out part stays untouched for the chosen model.
 *
 * The policy (Azure ML's rules, see {@link decide}) is applied at each evaluated interval to every
 * running trial that has reached it, comparing the trials that have reported that interval: a
 * trial's report of interval k judges it, and judges again each trial still running that reported
 * k before it, now with one more peer. So the trial that reports an interval first (with
 * `maxConcurrent` > 1) is not let off for lack of peers. A terminated trial stops before its next
 * tree batch or round, keeping its reports. Which trials are stopped depends on the order in which
 * the trials report: with one trial at a time, or with trials sharing the calling thread (gbdt
 * trials, forest trials without a pool), that order is fixed and so are the stops; with a pool of
 * worker threads, it is the threads' timing.
 */
export async function runSweep(
  dataset: Dataset,
  definition: SweepDefinition,
  options: SweepRunOptions = {},
): Promise<SweepResult> {
  checkDefinition(definition);
  const { maxTrials, maxConcurrent = 1, policy, sampling } = definition;
  const { algorithm, reportEvery, validationSeed, seed = 0 } = sweepSettings(definition);
  const grid =
    sampling.kind === "grid" ? gridAssignments(definition.space).slice(0, maxTrials) : [];
  const total = plannedTrials(definition);
  // Bayesian trials learn from the trials completed before they start.
  const observed: Observation[] = [];
  const assignmentFor = (index: number): Assignment =>
    sampling.kind === "grid"
      ? grid[index]
      : sampling.kind === "random"
        ? randomAssignment(definition.space, seed, index)
        : tpeAssignment(definition.space, observed, seed, index);

  const train = takeRows(dataset, dataset.split.train);
  const parts = stratifiedSplit(train.y, dataset.classNames.length, 0.2, validationSeed);
  const fitRows: TrainingData = {
    ...selectRows(train.x, train.y, train.nFeatures, parts.train),
    nFeatures: train.nFeatures,
    classNames: train.classNames,
  };
  const validation = selectRows(train.x, train.y, train.nFeatures, parts.test);

  // The sweep's end, by its timeout or the caller's signal; the reason says which.
  const deadline = new AbortController();
  const timeout = new Error("the sweep's timeout passed");
  const timer =
    definition.timeoutMs === undefined
      ? undefined
      : setTimeout(() => deadline.abort(timeout), definition.timeoutMs);
  const stopSweep = () => deadline.abort(options.signal!.reason);
  if (options.signal?.aborted) stopSweep();
  options.signal?.addEventListener("abort", stopSweep);
  const histories: TrialHistory[] = [];
  const results: TrialResult[] = [];
  // The trials training now, in the order they started, and how to terminate each.
  const running = new Map<TrialHistory, (reason: string) => void>();

  /** Applies the policy at `interval` to every running trial that has reported it. */
  const evaluate = (interval: number): void => {
    if (!policy || !isEvaluatedAt(policy, interval)) return;
    for (const [trial, terminate] of running) {
      if (trial.values.length < interval) continue;
      const decision = decide(policy, "maximize", histories, trial.id, interval);
      if (decision.terminate) terminate(decision.reason);
    }
  };

  const runTrial = async (index: number): Promise<void> => {
    const assignment = assignmentFor(index);
    const history: number[] = [];
    const steps: number[] = [];
    const losses: number[] = [];
    const times: number[] = [];
    const record = { id: String(index), values: history, finished: false };
    histories.push(record);
    const startTime = Date.now();
    const stop = new AbortController();
    const onDeadline = () => stop.abort(deadline.signal.reason);
    deadline.signal.addEventListener("abort", onDeadline);
    let reason: string | undefined;
    let status: TrialStatus = "completed";
    let trained = 0;
    running.set(record, (why) => {
      reason = why;
      stop.abort(new Error(why));
    });
    // Stopped by the policy or the sweep's end, it is judged no more.
    stop.signal.addEventListener("abort", () => running.delete(record));
    try {
      const fit = await trainTrial(algorithm, {
        fitRows,
        validation,
        options: { ...definition.fixed, ...assignment },
        reportEvery,
        signal: stop.signal,
        pool: options.pool,
        threads: options.threads,
        onReport: (report) => {
          history.push(report.accuracy);
          steps.push(report.step);
          times.push(report.time);
          if (report.loss !== undefined) losses.push(report.loss);
          options.onReport?.(index, history.length, report);
          evaluate(history.length);
        },
      });
      trained = fit.trained;
      if (fit.stopped) status = reason ? "terminated" : "cancelled";
      // A stop decided at the last report came too late to save work: the trial completed.
      else reason = undefined;
    } catch (error) {
      if (stop.signal.aborted) status = reason ? "terminated" : "cancelled";
      else {
        status = "failed";
        reason = error instanceof Error ? error.message : String(error);
      }
    } finally {
      deadline.signal.removeEventListener("abort", onDeadline);
      running.delete(record);
      record.finished = true;
    }
    if (status === "cancelled") {
      const why = deadline.signal.reason;
      reason = why === timeout ? timeout.message : `the sweep was ${(why as Error).message}`;
    }
    const result: TrialResult = {
      index,
      assignment,
      status,
      history,
      steps,
      losses,
      times,
      accuracy: history.at(-1),
      trained,
      reason,
      startTime,
      endTime: Date.now(),
    };
    results.push(result);
    if (status === "completed") observed.push({ assignment, value: result.accuracy! });
    options.onTrial?.(result);
  };

  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total && !deadline.signal.aborted) await runTrial(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(maxConcurrent, total) }, lane));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", stopSweep);
  }

  const trials = results.sort((a, b) => a.index - b.index);
  const completed = trials.filter((t) => t.status === "completed");
  const best = completed.reduce<TrialResult | undefined>(
    (b, t) => (b === undefined || t.accuracy! > b.accuracy! ? t : b),
    undefined,
  );
  return {
    trials,
    best,
    terminated: trials.filter((t) => t.status === "terminated").length,
    timedOut: deadline.signal.reason === timeout,
  };
}
