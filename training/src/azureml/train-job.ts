/**
 * `mlops train --target azureml` as Azure ML command jobs: one job that runs `mlops train` with
 * what the submitter's command was given, or a forest's share job across nodes and its merge job.
 */
import type { CommandJob, UriFileJobInput } from "@azure/arm-machinelearning";
import { modelFlagArgs } from "../cli/model-flags.js";
import { OptionError } from "../errors.js";
import { DEFAULT_FOREST_TREES, type ModelSpec } from "../jobs/train.js";
import { JOB_OUTPUT_ENV } from "../tracking/artifact-publisher.js";
import {
  type AzureMlJobs,
  type AzureMlTarget,
  binding,
  commandJobBase,
  dataInput,
  folderOutput,
  JOB_ARTIFACT_ROOT,
  jobName,
  mlopsCommand,
  type SubmittedJob,
  TRAINING_IMAGE_ROOT,
} from "./jobs.js";

/** What a training job on the cluster trains: what `mlops train` was asked for, data on the cluster. */
export interface ClusterTrainInput {
  readonly data: string;
  readonly label: string;
  readonly name: string;
  /** The algorithm and its hyperparameters, as `mlops train` validated them (a forest's `trees` set). */
  readonly model: ModelSpec;
  readonly seed: number;
  readonly threads: number;
  readonly experiment: string;
}

/** The data, `model` flags, seed and threads that `mlops train` and `mlops forest share` share. */
const fitArgs = (j: ClusterTrainInput, model: readonly string[]): string[] => [
  "--data",
  binding("inputs.data"),
  "--label",
  j.label,
  ...model,
  "--seed",
  String(j.seed),
  "--threads",
  String(j.threads),
];

/**
 * The arguments of the `mlops train` a training job runs: the job's data, then the label, seed,
 * threads, name and the model flags ({@link modelFlagArgs}: `--algorithm gbdt` and each
 * hyperparameter given, or a forest's `--trees`) the submitter's command was given, so the node
 * trains and registers what the local command would have; with `fromShares`, the folder of shares
 * it joins instead of fitting.
 */
export function trainArgs(j: ClusterTrainInput, fromShares?: string): string[] {
  return [
    "train",
    ...fitArgs(j, modelFlagArgs(j.model)),
    "--name",
    j.name,
    ...(fromShares === undefined ? [] : ["--from-shares", fromShares]),
    "--artifacts",
    JOB_ARTIFACT_ROOT,
    "--json",
  ];
}

/**
 * `mlops train` on one node: the artifact folder is the job's `model` output. `command` is the
 * one string Azure ML runs on the node, after substituting `${{inputs.<name>}}` and
 * `${{outputs.<name>}}` (REST CommandJob `command`, "the command to execute on startup of the
 * job", as the Az.MachineLearningServices reference New-AzMLWorkspaceCommandJobObject states it;
 * the bindings: Azure ML docs, concept-expressions and reference-yaml-job-command).
 */
export function trainCommandJob(t: AzureMlTarget, j: ClusterTrainInput): CommandJob {
  return {
    ...commandJobBase(t, j.experiment, `train ${j.name}`),
    command: trainCommand(trainArgs(j)),
    inputs: { data: dataInput(j.data) },
    outputs: { model: folderOutput() },
  };
}

/** The command of a job running `mlops train` with `args`, its artifacts copied to `model`. */
const trainCommand = (args: readonly string[]): string =>
  mlopsCommand(
    args,
    // Where the registry mirror puts the model folder for Azure ML (artifact-publisher.ts).
    { [JOB_OUTPUT_ENV.dir]: binding("outputs.model") },
  ).concat(
    // The output folder holds `<run_id>/model/…`, the layout the pipeline copies back under
    // .mlops/artifacts for the serving image.
    ` && cp -R ${TRAINING_IMAGE_ROOT}/${JOB_ARTIFACT_ROOT}/. ${binding("outputs.model")}/`,
  );

/**
 * `mlops forest share` on `instances` nodes at once (PyTorch distribution, one process per node,
 * so Azure ML sets RANK and WORLD_SIZE); every node writes its share into the `shares` output.
 */
export function forestShareJob(
  t: AzureMlTarget,
  j: ClusterTrainInput,
  instances: number,
): CommandJob {
  return {
    ...commandJobBase(t, j.experiment, `train ${j.name} on ${instances} nodes`),
    command: mlopsCommand([
      "forest",
      "share",
      ...fitArgs(j, ["--trees", String(forestTrees(j, instances))]),
      "--out",
      binding("outputs.shares"),
      "--json",
    ]),
    distribution: { distributionType: "PyTorch", processCountPerInstance: 1 },
    resources: { instanceCount: instances },
    inputs: { data: dataInput(j.data) },
    outputs: { shares: folderOutput() },
  };
}

/**
 * The merge step: `mlops train --from-shares` joins the share job's `shares` output, evaluates the
 * forest on the held-out rows, tracks the run and registers the version, with the artifact folder
 * as the `model` output, exactly as a single-node training job would.
 */
export function forestMergeJob(
  t: AzureMlTarget,
  j: ClusterTrainInput,
  shareJob: string,
): CommandJob {
  const single = trainCommandJob(t, j);
  return {
    ...single,
    displayName: `merge ${j.name}`,
    command: trainCommand(trainArgs(j, binding("inputs.shares"))),
    inputs: {
      ...single.inputs,
      shares: {
        jobInputType: "uri_folder",
        uri: `azureml://jobs/${shareJob}/outputs/shares`,
        mode: "ReadOnlyMount",
      } as UriFileJobInput & { jobInputType: "uri_folder" },
    },
  };
}

/**
 * The trees of a forest trained as shares on `instances` nodes. A forest's trees are independent
 * (each seeded by its index), so nodes can grow disjoint ranges and the merge joins them; boosted
 * trees are not: every round fits the gradients of all the rounds before it, so there are no
 * shares to grow apart, and gbdt is refused.
 */
function forestTrees(j: ClusterTrainInput, instances: number): number {
  if (j.model.algorithm !== "forest") {
    throw new OptionError(
      "--instances",
      "must be 1 with --algorithm gbdt: each boosting round fits the rounds before it, so rounds cannot be trained apart on several nodes",
      instances,
    );
  }
  const trees = j.model.trees ?? DEFAULT_FOREST_TREES;
  if (instances > trees) {
    throw new OptionError("--instances", `must not exceed --trees (${trees})`, instances);
  }
  return trees;
}

/**
 * `job` as submitted under `name`, telling the registry mirror how Azure ML names its `model`
 * output (`azureml://jobs/<job>/outputs/model/paths`, artifact-publisher.ts).
 */
export function withModelOutputUri(job: CommandJob, name: string): CommandJob {
  return {
    ...job,
    environmentVariables: {
      ...job.environmentVariables,
      [JOB_OUTPUT_ENV.uri]: `azureml://jobs/${name}/outputs/model/paths`,
    },
  };
}

/**
 * Submits `mlops train` to the cluster: one command job, or with `instances` > 1 the share job
 * across that many nodes, then (once it completed) the merge job that joins the shares.
 */
export async function submitTrain(
  jobs: AzureMlJobs,
  target: AzureMlTarget,
  input: ClusterTrainInput,
  instances: number,
): Promise<SubmittedJob[]> {
  if (instances === 1) {
    const name = jobName(`train-${input.name}`);
    return [
      {
        name,
        role: "train",
        status: await jobs.submit(name, withModelOutputUri(trainCommandJob(target, input), name)),
      },
    ];
  }
  forestTrees(input, instances);
  const share = jobName(`share-${input.name}`);
  await jobs.submit(share, forestShareJob(target, input, instances));
  const shareStatus = await jobs.waitFor(share);
  if (shareStatus !== "Completed") {
    throw new Error(`share job ${share} ended ${shareStatus}; nothing to merge`);
  }
  const merge = jobName(`merge-${input.name}`);
  return [
    { name: share, role: "share", status: shareStatus },
    {
      name: merge,
      role: "merge",
      status: await jobs.submit(
        merge,
        withModelOutputUri(forestMergeJob(target, input, share), merge),
      ),
    },
  ];
}
