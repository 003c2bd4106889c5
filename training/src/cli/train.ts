/**
 * `mlops train`: fit a random forest or gradient-boosted trees on a CSV, track the run and
 * register the model (locally, from the forest shares of a distributed job, or as a job on the
 * Azure ML cluster that carries the algorithm and every hyperparameter flag).
 */
import type { Command } from "commander";
import { datasetName } from "../azureml/jobs.js";
import { OptionError } from "../errors.js";
import { interruptible } from "../interrupt.js";
import { PROMOTION_METRICS, type PromotionGate } from "../jobs/promotion.js";
import { checkModelName, DEFAULT_FOREST_TREES, runTrainJob } from "../jobs/train.js";
import { selectTracking } from "../tracking/select.js";
import { checkLocal, submitTrainToAzureMl, submittedText } from "./azureml.js";
import type { CliContext } from "./context.js";
import {
  artifactRoot,
  artifactsHelp,
  checkGateMetric,
  datasetCommand,
  integer,
  number,
  seedFlag,
  threadsFlag,
  treesFlag,
} from "./flags.js";
import { addModelFlags, type ModelFlags, modelSpecFromFlags } from "./model-flags.js";
import { commandProgress } from "./progress.js";

/** Adds `mlops train`. */
export function registerTrainCommand(program: Command, ctx: CliContext): void {
  const command = datasetCommand(
    program,
    "train",
    "Train a random forest or gradient-boosted trees (--algorithm) on a CSV (its `split` column, else a seeded stratified 80/20 split), track the run and register the model.",
  )
    .option("--name <name>", "registered model name (default: the file's base name)")
    .option("--trees <n>", "forest: number of trees (default 100)", treesFlag)
    .option("--seed <s>", "seed of the model and of the split", seedFlag, 42)
    .option("--threads <t>", "worker threads (1 to 64)", threadsFlag, 1)
    .option("--artifacts <dir>", artifactsHelp("directory for run artifacts"))
    .option("--auto-promote", "make the new version `challenger` if it passes the promotion gate")
    .option(
      "--promotion-threshold <x>",
      "the gate: --metric must reach this value",
      number("--promotion-threshold"),
    )
    .option(
      "--metric <m>",
      `metric of the gate (${PROMOTION_METRICS.join(", ")}; default ${DEFAULT_GATE_METRIC})`,
    )
    .option(
      "--json",
      "print one JSON object (run_id, model, algorithm, params, rounds, metrics, fit_ms) instead of text",
    )
    .option(
      "--from-shares <dir>",
      "forest: merge the forest shares in this folder (mlops forest share) instead of fitting",
    )
    .option("--target <where>", "local, or azureml (a job on the workspace's cluster)", "local")
    .option(
      "--instances <n>",
      "azureml, forest: nodes that share the trees (then a merge job)",
      integer("--instances", 1),
      1,
    );
  addModelFlags(command).action(async (opts: TrainFlags) => {
    const model = modelSpecFromFlags(opts);
    checkGateFlags(opts);
    if (model.algorithm === "gbdt" && opts.fromShares) {
      // Shares are disjoint sets of a forest's independent trees; a boosting round fits the
      // rounds before it, so a gbdt cannot be grown in shares to merge.
      throw new OptionError(
        "--from-shares",
        "merges forest shares: use --algorithm forest (boosting rounds each fit the rounds before them, so a gbdt has no shares)",
        opts.fromShares,
      );
    }
    if (opts.target === "azureml") {
      // Flags the cluster job does not carry are refused rather than silently dropped.
      if (opts.autoPromote || opts.fromShares) {
        const [flag, value] = opts.autoPromote
          ? ["--auto-promote", true]
          : ["--from-shares", opts.fromShares];
        throw new OptionError(flag, "is not available with --target azureml", value);
      }
      // Checked here as the local command checks it: the job would only fail on the node.
      const name = checkModelName(
        opts.name ?? datasetName(opts.data),
        opts.name === undefined
          ? "--name (by default the --data asset's or file's name)"
          : "--name",
      );
      const submitted = await submitTrainToAzureMl(
        ctx.io.env,
        {
          data: opts.data,
          label: opts.label,
          name,
          experiment: name,
          seed: opts.seed,
          threads: opts.threads,
          // The job names the forest's trees even when they are the default, as it always has.
          model:
            model.algorithm === "forest"
              ? { algorithm: "forest", trees: model.trees ?? DEFAULT_FOREST_TREES }
              : model,
        },
        opts.instances,
      );
      ctx.print(opts.json, { jobs: submitted }, () => submittedText(submitted));
      return;
    }
    checkLocal(opts.target, opts.instances);
    const promotion = promotionGate(opts);
    const unit = model.algorithm === "forest" ? "trees" : "rounds";
    const progress = commandProgress(ctx.io, opts.json, {
      bar: `training {bar} {value}/{total} ${unit}`,
      line: (done, total) => `training: ${done}/${total} ${unit}`,
    });
    await ctx.withStore(async (store) => {
      const result = await interruptible((signal) =>
        runTrainJob({
          signal,
          data: opts.data,
          label: opts.label,
          name: opts.name,
          model,
          seed: opts.seed,
          threads: opts.threads,
          store,
          ...selectTracking(ctx.io.env, store),
          artifactRoot: artifactRoot(opts.artifacts, ctx.io.env),
          onProgress: (p) => progress.update(p.done, p.total),
          fromShares: opts.fromShares,
          promotion,
        }),
      ).finally(() => progress.stop());
      const m = result.metrics;
      ctx.print(
        opts.json,
        result,
        () =>
          `${result.model.name} v${result.model.version} (run ${result.run_id}): ${result.algorithm}` +
          (result.rounds
            ? `, ${result.rounds.kept} of ${result.rounds.trained} rounds kept${result.rounds.stopped_by ? " (early stopping)" : ""}`
            : "") +
          "\n" +
          `accuracy ${m.accuracy.toFixed(4)}, balanced accuracy ${m.balanced_accuracy.toFixed(4)}, ` +
          `log loss ${m.log_loss.toFixed(4)}; fit ${result.fit_ms.toFixed(0)} ms\n` +
          `artifact ${result.artifact}\n` +
          (result.promotion
            ? `${result.promotion.promoted ? "promoted to challenger" : "not promoted"}: ${result.promotion.reason}\n`
            : ""),
      );
    });
  });
}

/** The metric a gate judges on when `--metric` is not given. */
const DEFAULT_GATE_METRIC = "accuracy";

/** The gate's flags have an effect only with `--auto-promote`: without it they are refused. */
function checkGateFlags(opts: TrainFlags): void {
  if (opts.autoPromote) return;
  if (opts.promotionThreshold !== undefined) {
    throw new OptionError(
      "--promotion-threshold",
      "is only used with --auto-promote (the gate it sets)",
      opts.promotionThreshold,
    );
  }
  if (opts.metric !== undefined) {
    throw new OptionError(
      "--metric",
      "is only used with --auto-promote (the metric of its gate)",
      opts.metric,
    );
  }
}

/** The gate `--auto-promote` applies (`--promotion-threshold` is required with it), if given. */
function promotionGate(opts: TrainFlags): PromotionGate | undefined {
  if (!opts.autoPromote) return undefined;
  const metric = checkGateMetric(opts.metric ?? DEFAULT_GATE_METRIC);
  if (opts.promotionThreshold === undefined) {
    throw new OptionError("--promotion-threshold", "is required with --auto-promote", undefined);
  }
  return { metric, threshold: opts.promotionThreshold };
}

interface TrainFlags extends ModelFlags {
  fromShares?: string;
  target: string;
  instances: number;
  data: string;
  label: string;
  name?: string;
  seed: number;
  threads: number;
  artifacts?: string;
  autoPromote?: boolean;
  promotionThreshold?: number;
  metric?: string;
  json?: boolean;
}
