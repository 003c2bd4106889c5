import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseStoreConfig } from "@mlops/contracts";
import { openStore, type Store } from "@mlops/store";
import { SingleBar } from "cli-progress";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { CARD_FILE } from "../artifact.js";
import { datasetName, type SubmittedJob } from "../azureml/jobs.js";
import { OptionError } from "../errors.js";
import { runEvaluateJob } from "../jobs/evaluate.js";
import { PROMOTION_METRICS } from "../jobs/promotion.js";
import { runSweepJob } from "../jobs/sweep.js";
import { runTrainJob } from "../jobs/train.js";
import { plannedTrials, type SweepDefinition } from "../sweep/run.js";
import { checkSpace, type SearchSpace } from "../sweep/space.js";
import type { TerminationPolicy } from "../sweep/termination.js";
import { selectTracking } from "../tracking/select.js";
import { registerAbCommands } from "./ab.js";
import { registerTrialCommand, submitSweepToAzureMl, submitTrainToAzureMl } from "./azureml.js";
import { registerForestCommands } from "./forest.js";
import { registerGarchCommands } from "./garch.js";
import { registerGateCommand } from "./gate.js";
import { registerPipelineCommands } from "./pipeline.js";
import { registerRegistryCommands } from "./registry.js";

/** Where the CLI reads and writes, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (progress bars only then). */
  readonly isTTY: boolean;
}

/** Default directory for run artifacts, relative to the working directory (like the store). */
export const DEFAULT_ARTIFACT_ROOT = ".mlops/artifacts";

function integer(flag: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min) {
      throw new InvalidArgumentError(
        `${flag} must be an integer ≥ ${min} (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

function number(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${flag} must be a number (got ${JSON.stringify(text)})`);
    }
    return n;
  };
}

/** The `mlops` program. */
export function createProgram(io: CliIo): Command {
  const program = new Command("mlops")
    .description("Train, register and promote models of the MLOps platform.")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const withStore = async (run: (store: Store) => Promise<void>): Promise<void> => {
    const store = await openStore(parseStoreConfig(io.env));
    try {
      await run(store);
    } finally {
      await store.close();
    }
  };
  const print = (json: boolean | undefined, value: unknown, text: () => string) =>
    io.stdout(json ? `${JSON.stringify(value)}\n` : text());

  program
    .command("train")
    .description(
      "Train a random forest on a CSV (its `split` column, else a seeded stratified 80/20 split), track the run and register the model.",
    )
    .requiredOption("--data <file>", "CSV with a header, the label column and numeric features")
    .requiredOption("--label <column>", "the label column")
    .option("--name <name>", "registered model name (default: the file's base name)")
    .option("--trees <n>", "number of trees", integer("--trees", 1), 100)
    .option("--seed <s>", "seed of the forest and of the split", integer("--seed", 0), 42)
    .option("--threads <t>", "worker threads", integer("--threads", 1), 1)
    .option("--artifacts <dir>", "directory for run artifacts", DEFAULT_ARTIFACT_ROOT)
    .option("--auto-promote", "make the new version `challenger` if it passes the promotion gate")
    .option(
      "--promotion-threshold <x>",
      "the gate: --metric must reach this value",
      number("--promotion-threshold"),
    )
    .option("--metric <m>", `metric of the gate (${PROMOTION_METRICS.join(", ")})`, "accuracy")
    .option("--json", "print one JSON object (run_id, model, metrics, fit_ms) instead of text")
    .option(
      "--from-shares <dir>",
      "merge the forest shares in this folder (mlops forest share) instead of fitting",
    )
    .option("--target <where>", "local, or azureml (a job on the workspace's cluster)", "local")
    .option(
      "--instances <n>",
      "azureml: nodes that share the trees (then a merge job)",
      integer("--instances", 1),
      1,
    )
    .action(async (opts: TrainFlags) => {
      if (opts.target === "azureml") {
        // Flags the cluster job does not carry are refused rather than silently dropped.
        if (opts.autoPromote || opts.fromShares) {
          const flag = opts.autoPromote ? "--auto-promote" : "--from-shares";
          throw new OptionError(flag, "is not available with --target azureml", true);
        }
        const name = opts.name ?? datasetName(opts.data);
        const submitted = await submitTrainToAzureMl(
          io.env,
          { ...opts, name, experiment: name },
          opts.instances,
        );
        print(opts.json, { jobs: submitted }, () => submittedText(submitted));
        return;
      }
      checkLocal(opts.target, opts.instances);
      if (opts.autoPromote && opts.promotionThreshold === undefined) {
        throw new OptionError(
          "--promotion-threshold",
          "is required with --auto-promote",
          undefined,
        );
      }
      const promotion = opts.autoPromote
        ? { metric: opts.metric, threshold: opts.promotionThreshold! }
        : undefined;
      const bar =
        io.isTTY && !opts.json
          ? new SingleBar({ format: "training {bar} {value}/{total} trees" })
          : undefined;
      await withStore(async (store) => {
        bar?.start(opts.trees, 0);
        const result = await runTrainJob({
          data: opts.data,
          label: opts.label,
          name: opts.name,
          trees: opts.trees,
          seed: opts.seed,
          threads: opts.threads,
          store,
          ...selectTracking(io.env, store),
          artifactRoot: opts.artifacts,
          onProgress: (p) => bar?.update(p.treesDone),
          fromShares: opts.fromShares,
          promotion,
        }).finally(() => bar?.stop());
        const m = result.metrics;
        print(
          opts.json,
          result,
          () =>
            `${result.model.name} v${result.model.version} (run ${result.run_id})\n` +
            `accuracy ${m.accuracy.toFixed(4)}, balanced accuracy ${m.balanced_accuracy.toFixed(4)}, ` +
            `log loss ${m.log_loss.toFixed(4)}; fit ${result.fit_ms.toFixed(0)} ms\n` +
            `artifact ${result.artifact}\n` +
            (result.promotion
              ? `${result.promotion.promoted ? "promoted to challenger" : "not promoted"}: ${result.promotion.reason}\n`
              : ""),
        );
      });
    });

  program
    .command("sweep")
    .description(
      "Search forest hyperparameters: each trial is a child run; early termination follows Azure ML's rules.",
    )
    .requiredOption("--data <file>", "CSV with a header, the label column and numeric features")
    .requiredOption("--label <column>", "the label column")
    .requiredOption(
      "--space <file>",
      'JSON search space, e.g. {"maxDepth": {"type": "choice", "values": [4, 8, 16]}}',
    )
    .option("--sampling <kind>", "grid, random or bayesian (TPE)", "random")
    .option("--seed <s>", "seed of random and Bayesian sampling", integer("--seed", 0), 42)
    .option("--max-trials <n>", "trials at most", integer("--max-trials", 1), 20)
    .option("--max-concurrent <n>", "trials at once", integer("--max-concurrent", 1), 1)
    .option("--timeout <seconds>", "stop the sweep after this long", number("--timeout"))
    .option(
      "--trees <n>",
      "trees per trial (unless the space sets nEstimators)",
      integer("--trees", 1),
      100,
    )
    .option("--report-every <n>", "trees per reported interval", integer("--report-every", 1), 10)
    .option("--policy <kind>", "none, bandit, median or truncation", "none")
    .option(
      "--slack-factor <x>",
      "bandit: allowed ratio to the best trial",
      number("--slack-factor"),
    )
    .option(
      "--slack-amount <x>",
      "bandit: allowed distance to the best trial",
      number("--slack-amount"),
    )
    .option(
      "--evaluation-interval <n>",
      "policy: every n intervals",
      integer("--evaluation-interval", 1),
      1,
    )
    .option(
      "--delay-evaluation <n>",
      "policy: from interval n on",
      integer("--delay-evaluation", 0),
      0,
    )
    .option(
      "--truncation-percentage <p>",
      "truncation: percentage stopped",
      integer("--truncation-percentage", 1),
    )
    .option("--threads <t>", "worker threads the trials share", integer("--threads", 1), 1)
    .option("--experiment <name>", "experiment name (default: <file>-sweep)")
    .option("--json", "print one JSON object instead of text")
    .option(
      "--target <where>",
      "local, or azureml (a sweep job on the workspace's cluster)",
      "local",
    )
    .action((opts: SweepFlags) =>
      withStore(async (store) => {
        checkLocal(opts.target, 1);
        const definition: SweepDefinition = {
          space: await readSpace(opts.space),
          sampling: samplingOf(opts),
          fixed: { nEstimators: opts.trees },
          maxTrials: opts.maxTrials,
          maxConcurrent: opts.maxConcurrent,
          timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
          policy: policyOf(opts),
          reportEvery: opts.reportEvery,
        };
        // On a terminal the bar replaces the per-trial lines, which would break it up.
        const bar =
          io.isTTY && !opts.json
            ? new SingleBar({ format: "sweep {bar} {value}/{total} trials, {stopped} stopped" })
            : undefined;
        let stopped = 0;
        bar?.start(plannedTrials(definition), 0, { stopped });
        if (opts.target === "azureml") {
          const experiment = opts.experiment ?? `${datasetName(opts.data)}-sweep`;
          const submitted = await submitSweepToAzureMl(io.env, {
            data: opts.data,
            label: opts.label,
            definition,
            experiment,
            threads: opts.threads,
          });
          print(opts.json, { jobs: submitted }, () => submittedText(submitted));
          return;
        }
        const result = await runSweepJob({
          data: opts.data,
          label: opts.label,
          definition,
          experiment: opts.experiment,
          threads: opts.threads,
          tracker: selectTracking(io.env, store).tracker,
          onTrial: (t) => {
            if (t.status === "terminated") stopped++;
            if (bar) bar.increment({ stopped });
            else if (!opts.json)
              io.stderr(`trial ${t.index}: ${t.status}${t.reason ? ` (${t.reason})` : ""}\n`);
          },
        }).finally(() => bar?.stop());
        print(
          opts.json,
          result,
          () =>
            `sweep ${result.run_id}: ${result.trials} trials, ${result.terminated} stopped early, ${result.failed} failed` +
            `${result.timed_out ? ", timed out" : ""}\n` +
            (result.best
              ? `best: run ${result.best.run_id} ${JSON.stringify(result.best.params)} validation accuracy ${result.best.validation_accuracy.toFixed(4)}\n`
              : "no trial completed\n"),
        );
      }),
    );

  program
    .command("evaluate")
    .description("Score a registered model version on a CSV (columns matched by name).")
    .requiredOption("--model <ref>", "NAME, NAME@VERSION or NAME@ALIAS")
    .requiredOption("--data <file>", "CSV with the model's feature columns and the label column")
    .requiredOption("--label <column>", "the label column")
    .option("--rows <which>", "all rows, or the held-out part (test)", "all")
    .option("--json", "print one JSON object instead of text")
    .action((opts: { model: string; data: string; label: string; rows: string; json?: boolean }) =>
      withStore(async (store) => {
        if (opts.rows !== "all" && opts.rows !== "test") {
          throw new OptionError("--rows", 'must be "all" or "test"', opts.rows);
        }
        const result = await runEvaluateJob({ ...opts, rows: opts.rows, store });
        print(
          opts.json,
          result,
          () =>
            `${result.model.name} v${result.model.version} on ${result.rows} rows: ` +
            `${Object.entries(result.metrics)
              .map(([k, v]) => `${k} ${v.toFixed(4)}`)
              .join(", ")}\n`,
        );
      }),
    );

  const models = program.command("models").description("Registered models and their versions.");
  models
    .command("list")
    .description("Every registered model with its latest version and aliases.")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) =>
      withStore(async (store) => {
        const all = await store.models.summaries();
        print(opts.json, all, () =>
          all
            .map((m) => {
              const aliases = Object.entries(m.aliases).map(([a, v]) => `${a}=v${v}`);
              return `${m.name}\t${m.kind}\tlatest v${m.latest_version}\t${aliases.join(" ")}\n`;
            })
            .join(""),
        );
      }),
    );
  models
    .command("show")
    .description(
      "One version with its lineage: NAME, NAME@VERSION or NAME@ALIAS (NAME: the latest).",
    )
    .argument("<ref>", "model reference")
    .option("--json", "print JSON")
    .action((ref: string, opts: { json?: boolean }) =>
      withStore(async (store) => {
        const v = await store.models.resolve(ref);
        print(opts.json, v, () =>
          [
            `${v.name} v${v.version} (${v.kind})${v.aliases.length ? ` [${v.aliases.join(", ")}]` : ""}`,
            `run ${v.run_id ?? "-"}, data ${v.data_hash ?? "-"}, git ${v.git_sha ?? "-"}`,
            `artifact ${v.artifact.uri} (sha256 ${v.artifact.sha256})`,
            `params ${JSON.stringify(v.params)}`,
            `metrics ${JSON.stringify(v.metrics)}`,
            "",
          ].join("\n"),
        );
      }),
    );
  models
    .command("card")
    .description("Print a version's model card (Markdown).")
    .argument("<ref>", "model reference")
    .action((ref: string) =>
      withStore(async (store) => {
        const v = await store.models.resolve(ref);
        io.stdout(await readFile(join(dirname(v.artifact.uri), CARD_FILE), "utf8"));
      }),
    );

  const runs = program.command("runs").description("Tracked runs.");
  runs
    .command("list")
    .description("Runs, optionally of one experiment (a model name for `mlops train`).")
    .option("--experiment <name>", "only this experiment")
    .option("--json", "print JSON")
    .action((opts: { experiment?: string; json?: boolean }) =>
      withStore(async (store) => {
        const all = await store.runs.list(
          opts.experiment ? { experimentName: opts.experiment } : {},
        );
        print(opts.json, all, () =>
          all
            .map((r) => {
              const accuracy = r.metrics.accuracy?.at(-1)?.value;
              const shown = accuracy === undefined ? "" : `accuracy ${accuracy.toFixed(4)}`;
              return `${r.run_id}\t${r.experiment_name}\t${r.status}\t${new Date(r.start_time).toISOString()}\t${shown}\n`;
            })
            .join(""),
        );
      }),
    );
  runs
    .command("show")
    .description("One run: params, tags, metrics and artifacts.")
    .argument("<run-id>", "the run id")
    .option("--json", "print JSON")
    .action((runId: string, opts: { json?: boolean }) =>
      withStore(async (store) => {
        const r = await store.runs.get(runId);
        if (!r) throw new OptionError("run-id", "names no tracked run", runId);
        print(opts.json, r, () => `${JSON.stringify(r, null, 2)}\n`);
      }),
    );
  registerGarchCommands(program, {
    env: io.env,
    withStore,
    print,
    integer,
    defaultArtifactRoot: DEFAULT_ARTIFACT_ROOT,
    isTTY: io.isTTY,
  });
  registerForestCommands(program, { env: io.env, print, integer });
  registerTrialCommand(program, { env: io.env, withStore, print, integer });
  registerRegistryCommands(program, {
    env: io.env,
    withStore,
    print,
    integer,
    defaultArtifactRoot: DEFAULT_ARTIFACT_ROOT,
  });
  registerGateCommand(program, { env: io.env, withStore, print, integer, number });
  registerPipelineCommands(program, io);
  registerAbCommands(program, io);
  return program;
}

/** `--target` is local or azureml; `--instances` > 1 only makes sense on a cluster. */
function checkLocal(target: string, instances: number): void {
  if (target !== "local" && target !== "azureml") {
    throw new OptionError("--target", 'must be "local" or "azureml"', target);
  }
  if (target === "local" && instances > 1) {
    throw new OptionError("--instances", "needs --target azureml", instances);
  }
}

function submittedText(jobs: readonly SubmittedJob[]): string {
  return jobs.map((j) => `${j.role} job ${j.name}: ${j.status}\n`).join("");
}

interface SweepFlags {
  target: string;
  data: string;
  label: string;
  space: string;
  sampling: string;
  seed: number;
  maxTrials: number;
  maxConcurrent: number;
  timeout?: number;
  trees: number;
  reportEvery: number;
  policy: string;
  slackFactor?: number;
  slackAmount?: number;
  evaluationInterval: number;
  delayEvaluation: number;
  truncationPercentage?: number;
  threads: number;
  experiment?: string;
  json?: boolean;
}

async function readSpace(path: string): Promise<SearchSpace> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new OptionError(
      "--space",
      `must be a readable JSON file: ${(error as Error).message}`,
      path,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new OptionError("--space", "must hold a JSON object of parameter expressions", path);
  }
  checkSpace(parsed as SearchSpace);
  return parsed as SearchSpace;
}

function samplingOf(opts: SweepFlags): SweepDefinition["sampling"] {
  if (opts.sampling === "grid") return { kind: "grid" };
  if (opts.sampling === "random" || opts.sampling === "bayesian") {
    return { kind: opts.sampling, seed: opts.seed };
  }
  throw new OptionError("--sampling", 'must be "grid", "random" or "bayesian"', opts.sampling);
}

function policyOf(opts: SweepFlags): TerminationPolicy | undefined {
  const schedule = {
    evaluationInterval: opts.evaluationInterval,
    delayEvaluation: opts.delayEvaluation,
  };
  switch (opts.policy) {
    case "none":
      return undefined;
    case "bandit":
      return {
        kind: "bandit",
        slackFactor: opts.slackFactor,
        slackAmount: opts.slackAmount,
        ...schedule,
      };
    case "median":
      return { kind: "median", ...schedule };
    case "truncation":
      return { kind: "truncation", truncationPercentage: opts.truncationPercentage!, ...schedule };
    default:
      throw new OptionError(
        "--policy",
        'must be "none", "bandit", "median" or "truncation"',
        opts.policy,
      );
  }
}

interface TrainFlags {
  fromShares?: string;
  target: string;
  instances: number;
  data: string;
  label: string;
  name?: string;
  trees: number;
  seed: number;
  threads: number;
  artifacts: string;
  autoPromote?: boolean;
  promotionThreshold?: number;
  metric: string;
  json?: boolean;
}

/**
 * Runs the CLI on `argv` (without the node and script entries) and returns the exit code:
 * 0 on success, 1 on bad input or a failed job (the message on stderr), commander's code on
 * usage errors.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
