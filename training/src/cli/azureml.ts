/**
 * The Azure ML target of the `mlops` program: `--target azureml` of `train` and `sweep` submits
 * jobs to the workspace's cluster, and `mlops sweep-trial` is what each trial of a sweep job runs.
 */
import { hostname } from "node:os";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { DefaultAzureCredential } from "@azure/identity";
import { type Command, InvalidArgumentError } from "commander";
import {
  AzureMlJobs,
  azureMlTargetFromEnv,
  jobName,
  type SubmittedJob,
  type SweepJobInput,
  sweepJob,
} from "../azureml/jobs.js";
import { SWEEP_LOSS_METRIC, SWEEP_PRIMARY_METRIC } from "../azureml/sweep-spec.js";
import { type ClusterTrainInput, submitTrain } from "../azureml/train-job.js";
import { loadDataset } from "../dataset.js";
import { OptionError } from "../errors.js";
import { type ForestOptions, resolveForestOptions } from "../forest/options.js";
import { createTrainingPool } from "../forest/pool.js";
import { type GbdtOptions, resolveGbdtOptions } from "../gbdt/options.js";
import { runSweep } from "../sweep/run.js";
import type { ParameterValue, SearchSpace } from "../sweep/space.js";
import { SWEEP_ALGORITHMS, type SweepAlgorithm } from "../sweep/trainers.js";
import { selectTracking } from "../tracking/select.js";
import type { RunTracker } from "../tracking/tracker.js";
import type { CliContext } from "./context.js";
import { datasetCommand, decimalNumber, integer, threadsFlag } from "./flags.js";

/** The job client for the workspace named by the environment (`AZUREML_*`), signed in with Entra ID. */
export function azureMlJobsFromEnv(env: Readonly<Record<string, string | undefined>>): {
  jobs: AzureMlJobs;
  target: ReturnType<typeof azureMlTargetFromEnv>;
} {
  const target = azureMlTargetFromEnv(env);
  const client = new AzureMachineLearningWorkspaces(
    new DefaultAzureCredential(),
    target.AZURE_SUBSCRIPTION_ID,
  );
  return { jobs: new AzureMlJobs(client, target), target };
}

/** `--target` is local or azureml; `--instances` > 1 only makes sense on a cluster. */
export function checkLocal(target: string, instances: number): void {
  if (target !== "local" && target !== "azureml") {
    throw new OptionError("--target", 'must be "local" or "azureml"', target);
  }
  if (target === "local" && instances > 1) {
    throw new OptionError("--instances", "needs --target azureml", instances);
  }
}

/** One line per submitted job. */
export function submittedText(jobs: readonly SubmittedJob[]): string {
  return jobs.map((j) => `${j.role} job ${j.name}: ${j.status}\n`).join("");
}

/** Submits `mlops train --target azureml`; returns the submitted jobs. */
export function submitTrainToAzureMl(
  env: Readonly<Record<string, string | undefined>>,
  input: ClusterTrainInput,
  instances: number,
): Promise<SubmittedJob[]> {
  const { jobs, target } = azureMlJobsFromEnv(env);
  return submitTrain(jobs, target, input, instances);
}

/** Submits `mlops sweep --target azureml` as one sweep job. */
export async function submitSweepToAzureMl(
  env: Readonly<Record<string, string | undefined>>,
  input: SweepJobInput,
): Promise<SubmittedJob[]> {
  const { jobs, target } = azureMlJobsFromEnv(env);
  const spec = sweepJob(target, input);
  const name = jobName(`sweep-${input.experiment}`);
  return [{ name, role: "sweep", status: await jobs.submit(name, spec) }];
}

/**
 * Adds `mlops sweep-trial`: one trial of an Azure ML sweep job. It trains with the sampled
 * values exactly as a local sweep trial does (same validation rows, same reports) and logs
 * `validation_accuracy` at each interval (and `validation_loss` for gbdt) to the job's own run
 * (`MLFLOW_RUN_ID`, which Azure ML sets with `MLFLOW_TRACKING_URI`), as it goes, so the sweep's
 * early-termination policy sees it and can cancel the trial between two reports.
 */
export function registerTrialCommand(program: Command, ctx: CliContext): void {
  datasetCommand(
    program,
    "sweep-trial",
    "Run one trial of an Azure ML sweep job, logging validation_accuracy by interval to the job's run.",
  )
    .option(
      "--algorithm <name>",
      `what the trial trains: ${SWEEP_ALGORITHMS.join(" or ")}`,
      "forest",
    )
    .option(
      "--param <name=value>",
      "a sampled or fixed option of the algorithm (repeatable)",
      collectParam,
      {},
    )
    .option(
      "--log-param <name=value>",
      "a sampled natural logarithm of an option: the trial uses exp(value) (repeatable)",
      collectLogParam,
      {},
    )
    .option(
      "--report-every <n>",
      "trees (forest, default 10) or boosting rounds (gbdt, default 1) per reported interval",
      integer("--report-every", 1),
    )
    .option("--threads <t>", "worker threads (1 to 64)", threadsFlag, 1)
    .option("--run-id <id>", "the run to log to (default: MLFLOW_RUN_ID)")
    .option("--json", "print one JSON object instead of text")
    .action((opts: TrialFlags) =>
      ctx.withStore(async (store) => {
        const runId = opts.runId ?? ctx.io.env.MLFLOW_RUN_ID;
        if (!runId) {
          throw new OptionError("--run-id", "or MLFLOW_RUN_ID must name the trial's run", runId);
        }
        const algorithm = opts.algorithm as SweepAlgorithm;
        if (!SWEEP_ALGORITHMS.includes(algorithm)) {
          throw new OptionError(
            "--algorithm",
            `must be ${SWEEP_ALGORITHMS.join(" or ")}`,
            algorithm,
          );
        }
        const values = { ...opts.param, ...opts.logParam };
        if (Object.keys(values).length === 0) {
          throw new OptionError("--param", "must give at least one name=value", undefined);
        }
        checkTrialValues(algorithm, values, opts.logParam);
        const { tracker } = selectTracking(ctx.io.env, store);
        const space: SearchSpace = Object.fromEntries(
          Object.entries(values).map(([name, value]) => [
            name,
            { type: "choice", values: [value] },
          ]),
        );
        const dataset = await loadDataset(opts.data, { label: opts.label, seed: 42 });
        await checkRun(tracker, runId);
        // Reports are logged in order as they come; the chain is awaited before the trial ends.
        // It never rejects: the first failed write is kept, and stops the training (no later
        // report could be logged either), then fails the command below.
        let logged: Promise<void> = Promise.resolve();
        let failedWrite: { error: unknown } | undefined;
        const stop = new AbortController();
        const pool =
          algorithm === "forest" && opts.threads > 1 ? createTrainingPool(opts.threads) : undefined;
        const result = await runSweep(
          dataset,
          {
            algorithm,
            space,
            sampling: { kind: "grid" },
            maxTrials: 1,
            reportEvery: opts.reportEvery,
          },
          {
            pool,
            threads: opts.threads,
            signal: stop.signal,
            onReport: (_trial, interval, report) => {
              if (failedWrite !== undefined) return;
              // Azure ML counts each logged value of the primary metric as one interval.
              const timestamp = Date.now();
              const points = [
                { key: SWEEP_PRIMARY_METRIC, value: report.accuracy, step: interval, timestamp },
              ];
              if (report.loss !== undefined) {
                points.push({
                  key: SWEEP_LOSS_METRIC,
                  value: report.loss,
                  step: interval,
                  timestamp,
                });
              }
              logged = logged
                .then(() =>
                  failedWrite === undefined ? tracker.logMetrics(runId, points) : undefined,
                )
                .catch((error: unknown) => {
                  failedWrite ??= { error };
                  stop.abort(error);
                });
            },
          },
        ).finally(() => pool?.close());
        await logged;
        if (failedWrite !== undefined) {
          throw new Error(
            `could not log ${SWEEP_PRIMARY_METRIC} to run ${runId}: ${messageOf(failedWrite.error)}`,
          );
        }
        const trial = result.trials[0]!;
        if (trial.status === "failed") throw new Error(`the trial failed: ${trial.reason}`);
        const out = {
          run_id: runId,
          params: trial.assignment,
          validation_accuracy: trial.accuracy,
          ...(algorithm === "forest" ? { trees: trial.trained } : { rounds: trial.trained }),
          reports: trial.history.length,
        };
        const unit = algorithm === "forest" ? "trees" : "boosting rounds";
        ctx.print(
          opts.json,
          out,
          () =>
            `run ${runId}: ${JSON.stringify(out.params)} validation accuracy ${trial.accuracy?.toFixed(4)} after ${trial.trained} ${unit}\n`,
        );
      }),
    );
}

/**
 * Fails naming `--run-id` unless the tracker has the run and takes writes to it, before anything
 * is trained: it tags the run with what ran on it (the kind and the host, as other runs are
 * tagged), the one write every tracker has that needs the run.
 */
async function checkRun(tracker: RunTracker, runId: string): Promise<void> {
  try {
    await tracker.setTags(runId, { "mlops.kind": "sweep-trial", "mlops.host": hostname() });
  } catch (error) {
    throw new OptionError(
      "--run-id",
      `(or MLFLOW_RUN_ID) must name a run the tracker can log to: ${messageOf(error)}`,
      runId,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface TrialFlags {
  data: string;
  label: string;
  algorithm: string;
  param: Record<string, ParameterValue>;
  logParam: Record<string, number>;
  reportEvery?: number;
  threads: number;
  runId?: string;
  json?: boolean;
}

/**
 * `name=value` as Azure ML substitutes a sampled or fixed value: `true` and `false` are booleans,
 * a decimal number ({@link decimalNumber}: `20`, `0.5`, `1e-05`, `5.0E-4`) is a number, and any
 * other text stays text, for the options that take words (`maxFeatures=sqrt`, `growth=depthwise`).
 * Text given to an option that takes a number (`nEstimators=0x10`) is refused by the trainer's
 * check ({@link checkTrialValues}), never read as another number.
 */
export function collectParam(
  text: string,
  previous: Record<string, ParameterValue>,
): Record<string, ParameterValue> {
  const match = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(text);
  if (!match) {
    throw new InvalidArgumentError(`--param must be name=value (got ${JSON.stringify(text)})`);
  }
  const [, name, raw] = match as unknown as [string, string, string];
  const value: ParameterValue =
    raw === "true" ? true : raw === "false" ? false : (decimalNumber(raw) ?? raw);
  return { ...previous, [name]: value };
}

/**
 * Checks a trial's values (`--log-param`'s among them) with its trainer's own rules before any
 * data is read or the run is touched; a refusal names the flag and the parameter: `--param nEstimators must be an integer in
 * [1, 100000] (got "0x10")`. (Rules that depend on the data are met when the trial trains.)
 */
function checkTrialValues(
  algorithm: SweepAlgorithm,
  values: Readonly<Record<string, ParameterValue>>,
  logParam: Readonly<Record<string, number>>,
): void {
  try {
    if (algorithm === "forest") resolveForestOptions(values as ForestOptions);
    else resolveGbdtOptions(values as GbdtOptions);
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    const flag = error.option in logParam ? "--log-param" : "--param";
    throw new OptionError(`${flag} ${error.option}`, error.rule, error.value);
  }
}

/** `name=value` where value is a natural logarithm: the option takes exp(value). */
function collectLogParam(text: string, previous: Record<string, number>): Record<string, number> {
  const parsed = collectParam(text, {});
  const [name] = Object.keys(parsed) as [string];
  const value = parsed[name];
  if (typeof value !== "number") {
    throw new InvalidArgumentError(
      `--log-param must be name=<number> (got ${JSON.stringify(text)})`,
    );
  }
  return { ...previous, [name]: Math.exp(value) };
}
