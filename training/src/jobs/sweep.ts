import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { basename, extname } from "node:path";
import type { Params, RunStatus } from "@mlops/contracts";
import { SWEEP_LOSS_METRIC, SWEEP_PRIMARY_METRIC } from "../azureml/sweep-spec.js";
import { loadDataset } from "../dataset.js";
import { requireThreads } from "../errors.js";
import { createTrainingPool } from "../forest/pool.js";
import {
  runSweep,
  type SweepDefinition,
  sweepSettings,
  type TrialResult,
  type TrialStatus,
} from "../sweep/run.js";
import type { SweepAlgorithm } from "../sweep/trainers.js";
import type { RunTracker } from "../tracking/tracker.js";

/** What `mlops sweep` does, as a function. */
export interface SweepJobInput {
  readonly data: string;
  readonly label: string;
  readonly definition: SweepDefinition;
  /** Experiment name. @default "<file base name>-sweep" */
  readonly experiment?: string;
  /** Worker threads the forest trials share, or histogram threads of each gbdt trial. @default 1 */
  readonly threads?: number;
  /** Where runs are tracked. */
  readonly tracker: RunTracker;
  /** Called as each trial ends. */
  readonly onTrial?: (trial: TrialResult) => void;
  /**
   * Ends the sweep: no trial starts after it, those running are cancelled (KILLED), the sweep's
   * run is KILLED, and the job rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/** The result scripts read (`mlops sweep --json`). */
export interface SweepJobOutput {
  /** The parent run; every trial is a child run of it. */
  readonly run_id: string;
  readonly algorithm: SweepAlgorithm;
  readonly trials: number;
  readonly terminated: number;
  readonly failed: number;
  readonly timed_out: boolean;
  readonly best: {
    readonly run_id: string;
    readonly params: TrialResult["assignment"];
    readonly validation_accuracy: number;
  } | null;
}

const RUN_STATUS: Record<TrialStatus, Exclude<RunStatus, "RUNNING">> = {
  completed: "FINISHED",
  terminated: "KILLED",
  cancelled: "KILLED",
  failed: "FAILED",
};

/**
 * Runs a sweep and tracks it: a parent run with every setting the sweep ran with (defaults
 * included), and one child run per trial with the algorithm and the options it trained with (the
 * fixed ones with its assignment over them; the tag `mlops.trial.sampled` names the assigned
 * ones), the validation-accuracy history (step = trees for the forest, boosting round for gbdt,
 * whose validation log-loss history is logged beside it; each point timed when it was measured),
 * its status (terminated and timed-out trials are KILLED) and the reason.
 */
export async function runSweepJob(input: SweepJobInput): Promise<SweepJobOutput> {
  const threads = input.threads ?? 1;
  requireThreads(threads);
  const { tracker, definition } = input;
  const settings = sweepSettings(definition);
  const { algorithm } = settings;
  const dataset = await loadDataset(input.data, {
    label: input.label,
    seed: settings.validationSeed,
  });
  const experiment = input.experiment ?? `${basename(input.data, extname(input.data))}-sweep`;
  const { run_id: parent } = await tracker.create({
    run_id: randomUUID().replaceAll("-", ""),
    experiment_name: experiment,
    run_name: `sweep ${experiment}`,
    start_time: Date.now(),
    params: {
      algorithm,
      sampling: definition.sampling.kind,
      seed: settings.seed ?? "none",
      max_trials: definition.maxTrials,
      max_concurrent: definition.maxConcurrent ?? 1,
      timeout_s: definition.timeoutMs === undefined ? "none" : definition.timeoutMs / 1000,
      policy: definition.policy ? JSON.stringify(definition.policy) : "none",
      report_every: settings.reportEvery,
      space: JSON.stringify(definition.space),
      fixed: JSON.stringify(definition.fixed ?? {}),
      data: input.data,
      label: input.label,
      validation_seed: settings.validationSeed,
      threads,
    },
    tags: { "mlops.data_hash": dataset.sha256, "mlops.host": hostname(), "mlops.kind": "sweep" },
  });
  const pool = algorithm === "forest" && threads > 1 ? createTrainingPool(threads) : undefined;
  const children = new Map<number, string>();
  const tracked: Promise<void>[] = [];
  try {
    await pool?.ready();
    const result = await runSweep(dataset, definition, {
      pool,
      threads,
      signal: input.signal,
      onTrial: (trial) => {
        const params = { algorithm, ...optionParams({ ...definition.fixed, ...trial.assignment }) };
        const done = trackTrial(tracker, experiment, parent, trial, params).then((id) => {
          children.set(trial.index, id);
        });
        // Awaited once the sweep ends; handled now, so a failure meanwhile is not an unhandled
        // rejection that ends the process with a stack trace instead of the CLI's error line.
        done.catch(() => undefined);
        tracked.push(done);
        input.onTrial?.(trial);
      },
    });
    await Promise.all(tracked);
    // Interrupted: the trials that ran are tracked (KILLED where cut short), and so is the sweep.
    input.signal?.throwIfAborted();
    const best = result.best;
    const failed = result.trials.filter((t) => t.status === "failed").length;
    await tracker.setTags(parent, {
      "mlops.sweep.terminated": String(result.terminated),
      "mlops.sweep.timed_out": String(result.timedOut),
      ...(best ? { "mlops.sweep.best_run": children.get(best.index)! } : {}),
    });
    await tracker.finish(parent, "FINISHED", Date.now());
    return {
      run_id: parent,
      algorithm,
      trials: result.trials.length,
      terminated: result.terminated,
      failed,
      timed_out: result.timedOut,
      best: best
        ? {
            run_id: children.get(best.index)!,
            params: best.assignment,
            validation_accuracy: best.accuracy!,
          }
        : null,
    };
  } catch (error) {
    await Promise.allSettled(tracked);
    await tracker.finish(parent, input.signal?.aborted ? "KILLED" : "FAILED", Date.now());
    throw error;
  } finally {
    await pool?.close();
  }
}

/** Options as params, which hold scalars: null as "none", any other object as JSON. */
function optionParams(options: Readonly<Record<string, unknown>>): Params {
  return Object.fromEntries(
    Object.entries(options).flatMap(([key, value]) =>
      value === undefined
        ? []
        : [
            [
              key,
              value === null
                ? "none"
                : typeof value === "object"
                  ? JSON.stringify(value)
                  : (value as string | number | boolean),
            ],
          ],
    ),
  );
}

/** Records a finished trial as a child run with `params`; returns its run id. */
async function trackTrial(
  tracker: RunTracker,
  experiment: string,
  parent: string,
  trial: TrialResult,
  params: Params,
): Promise<string> {
  const { run_id: runId } = await tracker.create({
    run_id: randomUUID().replaceAll("-", ""),
    experiment_name: experiment,
    run_name: `trial ${trial.index}`,
    parent_run_id: parent,
    start_time: trial.startTime,
    params,
    tags: {
      "mlops.trial.sampled": Object.keys(trial.assignment).join(","),
      "mlops.trial.status": trial.status,
      ...(trial.reason ? { "mlops.trial.reason": trial.reason } : {}),
    },
  });
  const points = (key: string, values: readonly number[]) =>
    values.map((value, i) => ({ key, value, step: trial.steps[i]!, timestamp: trial.times[i]! }));
  await tracker.logMetrics(runId, [
    ...points(SWEEP_PRIMARY_METRIC, trial.history),
    ...points(SWEEP_LOSS_METRIC, trial.losses),
  ]);
  await tracker.finish(runId, RUN_STATUS[trial.status], trial.endTime);
  return runId;
}
