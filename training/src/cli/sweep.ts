/**
 * `mlops sweep`: search forest or gradient-boosted trees hyperparameters (grid, random or Bayesian
 * sampling) with Azure ML's early-termination rules acting on each trial's reports (every k trees,
 * or every k boosting rounds), each trial a child run; locally or as an Azure ML sweep job.
 */
import { JsonFileError, readJsonFile } from "@mlops/contracts/files";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { datasetName } from "../azureml/jobs.js";
import { OptionError } from "../errors.js";
import { interruptible } from "../interrupt.js";
import { runSweepJob } from "../jobs/sweep.js";
import { GBDT_SWEEP_FIXED, gbdtDesignSpace } from "../sweep/gbdt-space.js";
import { plannedTrials, type SweepDefinition } from "../sweep/run.js";
import { checkSpace, type SearchSpace } from "../sweep/space.js";
import { checkPolicy, type PolicySchedule, type TerminationPolicy } from "../sweep/termination.js";
import { SWEEP_ALGORITHMS, type SweepAlgorithm } from "../sweep/trainers.js";
import { selectTracking } from "../tracking/select.js";
import { checkLocal, submitSweepToAzureMl, submittedText } from "./azureml.js";
import type { CliContext } from "./context.js";
import {
  datasetCommand,
  integer,
  number,
  seconds,
  seedFlag,
  threadsFlag,
  treesFlag,
} from "./flags.js";

/** Adds `mlops sweep`. */
export function registerSweepCommand(program: Command, ctx: CliContext): void {
  datasetCommand(
    program,
    "sweep",
    "Search forest or gbdt hyperparameters: each trial is a child run; early termination follows Azure ML's rules.",
  )
    .option("--algorithm <name>", `what trials train: ${SWEEP_ALGORITHMS.join(" or ")}`, "forest")
    .option(
      "--space <file>",
      'JSON search space, e.g. {"maxDepth": {"type": "choice", "values": [4, 8, 16]}}; gbdt defaults to the design\'s space',
    )
    .option("--sampling <kind>", "grid, random or bayesian (TPE)", "random")
    .option("--seed <s>", "seed of random and Bayesian sampling", seedFlag, 42)
    .option("--max-trials <n>", "trials at most", integer("--max-trials", 1), 20)
    .option("--max-concurrent <n>", "trials at once", integer("--max-concurrent", 1), 1)
    .option("--timeout <seconds>", "stop the sweep after this long", seconds("--timeout"))
    .option(
      "--trees <n>",
      "trees (forest) or boosting rounds (gbdt) per trial, unless the space sets nEstimators",
      treesFlag,
      100,
    )
    .option(
      "--report-every <n>",
      "trees (forest, default 10) or boosting rounds (gbdt, default 1) per reported interval",
      integer("--report-every", 1),
    )
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
      "policy: every n-th interval (default 1)",
      integer("--evaluation-interval", 1),
    )
    .option(
      "--delay-evaluation <n>",
      "policy: from interval n on (default 0)",
      integer("--delay-evaluation", 0),
    )
    .option(
      "--truncation-percentage <p>",
      "truncation: percentage stopped",
      integer("--truncation-percentage", 1),
    )
    .option(
      "--threads <t>",
      "worker threads the forest trials share, or histogram threads of each gbdt trial (1 to 64)",
      threadsFlag,
      1,
    )
    .option("--experiment <name>", "experiment name (default: <file>-sweep)")
    .option("--json", "print one JSON object instead of text")
    .option(
      "--target <where>",
      "local, or azureml (a sweep job on the workspace's cluster)",
      "local",
    )
    .action((opts: SweepFlags) =>
      ctx.withStore(async (store) => {
        checkLocal(opts.target, 1);
        const algorithm = algorithmOf(opts.algorithm);
        const sampling = samplingOf(opts);
        const definition: SweepDefinition = {
          algorithm,
          space:
            opts.space !== undefined
              ? await readSpace(opts.space)
              : algorithm === "gbdt"
                ? gbdtDesignSpace(sampling.kind)
                : noSpace(),
          sampling,
          fixed:
            algorithm === "gbdt"
              ? { ...GBDT_SWEEP_FIXED, nEstimators: opts.trees }
              : { nEstimators: opts.trees },
          maxTrials: opts.maxTrials,
          maxConcurrent: opts.maxConcurrent,
          timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
          policy: policyOf(opts),
          reportEvery: opts.reportEvery,
        };
        // On a terminal the bar replaces the per-trial lines, which would break it up.
        const bar =
          ctx.io.isTTY && !opts.json
            ? new SingleBar({ format: "sweep {bar} {value}/{total} trials, {stopped} stopped" })
            : undefined;
        let stopped = 0;
        bar?.start(plannedTrials(definition), 0, { stopped });
        if (opts.target === "azureml") {
          const experiment = opts.experiment ?? `${datasetName(opts.data)}-sweep`;
          const submitted = await submitSweepToAzureMl(ctx.io.env, {
            data: opts.data,
            label: opts.label,
            definition,
            experiment,
            threads: opts.threads,
          });
          ctx.print(opts.json, { jobs: submitted }, () => submittedText(submitted));
          return;
        }
        const result = await interruptible((signal) =>
          runSweepJob({
            data: opts.data,
            label: opts.label,
            definition,
            experiment: opts.experiment,
            threads: opts.threads,
            tracker: selectTracking(ctx.io.env, store).tracker,
            signal,
            onTrial: (t) => {
              if (t.status === "terminated") stopped++;
              if (bar) bar.increment({ stopped });
              else if (!opts.json)
                ctx.io.stderr(
                  `trial ${t.index}: ${t.status} after ${t.trained} ${algorithm === "gbdt" ? "rounds" : "trees"}${t.reason ? ` (${t.reason})` : ""}\n`,
                );
            },
          }),
        ).finally(() => bar?.stop());
        ctx.print(
          opts.json,
          result,
          () =>
            `sweep ${result.run_id}: ${result.trials} trials, ${result.terminated} stopped early, ${result.failed} failed` +
            `${result.timed_out ? ", timed out" : ""}\n` +
            (result.best
              ? `best: run ${result.best.run_id} ${JSON.stringify(result.best.params)} validation accuracy ${result.best.validation_accuracy.toFixed(4)}\n`
              : ""),
        );
        // Nothing to pick from: a script must not go on as if the sweep had found a model.
        if (!result.best) {
          throw new Error(
            `the sweep completed no trial (${result.failed} failed${result.timed_out ? ", the rest cut off by --timeout" : ""})`,
          );
        }
      }),
    );
}

interface SweepFlags {
  target: string;
  data: string;
  label: string;
  algorithm: string;
  space?: string;
  sampling: string;
  seed: number;
  maxTrials: number;
  maxConcurrent: number;
  timeout?: number;
  trees: number;
  reportEvery?: number;
  policy: string;
  slackFactor?: number;
  slackAmount?: number;
  evaluationInterval?: number;
  delayEvaluation?: number;
  truncationPercentage?: number;
  threads: number;
  experiment?: string;
  json?: boolean;
}

function algorithmOf(name: string): SweepAlgorithm {
  if (!SWEEP_ALGORITHMS.includes(name as SweepAlgorithm)) {
    throw new OptionError(
      "--algorithm",
      `must be ${SWEEP_ALGORITHMS.map((a) => `"${a}"`).join(" or ")}`,
      name,
    );
  }
  return name as SweepAlgorithm;
}

/** The forest has no design space to fall back on. */
function noSpace(): never {
  throw new OptionError("--space", "is required for --algorithm forest", undefined);
}

async function readSpace(path: string): Promise<SearchSpace> {
  const parsed = await readJsonFile(path).catch((error: unknown) => {
    if (!(error instanceof JsonFileError)) throw error;
    throw new OptionError("--space", `must be a readable JSON file: ${error.reason}`, path);
  });
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

const POLICY_KINDS = ["none", "bandit", "median", "truncation"] as const;
type PolicyKind = (typeof POLICY_KINDS)[number];

/**
 * Each policy flag, the option it sets (under the name `checkPolicy` gives it), and the policies
 * it applies to.
 */
const POLICY_FLAGS: readonly (readonly [
  flag: string,
  option: "slackFactor" | "slackAmount" | "truncationPercentage" | keyof PolicySchedule,
  kinds: readonly PolicyKind[],
])[] = [
  ["--slack-factor", "slackFactor", ["bandit"]],
  ["--slack-amount", "slackAmount", ["bandit"]],
  ["--truncation-percentage", "truncationPercentage", ["truncation"]],
  ["--evaluation-interval", "evaluationInterval", ["bandit", "median", "truncation"]],
  ["--delay-evaluation", "delayEvaluation", ["bandit", "median", "truncation"]],
];

/** "a", "a or b", "a, b or c". */
function alternatives(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** The flag of each policy option `checkPolicy` names. */
const POLICY_OPTION_FLAGS: Readonly<Record<string, string>> = Object.fromEntries(
  POLICY_FLAGS.map(([flag, option]) => [option, flag]),
);

/**
 * The early-termination policy the flags describe: each flag checked for its policy here, each
 * value by the policy's own rules (`checkPolicy`), reported under the flag's name.
 */
function policyOf(opts: SweepFlags): TerminationPolicy | undefined {
  const policy = policyFromFlags(opts);
  if (policy) {
    try {
      checkPolicy(policy);
    } catch (error) {
      const flag = error instanceof OptionError ? POLICY_OPTION_FLAGS[error.option] : undefined;
      if (flag === undefined) throw error;
      throw new OptionError(flag, (error as OptionError).rule, (error as OptionError).value);
    }
  }
  return policy;
}

function policyFromFlags(opts: SweepFlags): TerminationPolicy | undefined {
  const kind = opts.policy as PolicyKind;
  if (!POLICY_KINDS.includes(kind)) {
    throw new OptionError(
      "--policy",
      `must be ${alternatives(POLICY_KINDS.map((k) => `"${k}"`))}`,
      opts.policy,
    );
  }
  for (const [flag, option, kinds] of POLICY_FLAGS) {
    if (opts[option] !== undefined && !kinds.includes(kind)) {
      throw new OptionError(flag, `applies to --policy ${alternatives(kinds)} only`, opts[option]);
    }
  }
  if (kind !== "none" && opts.sampling === "bayesian") {
    // Azure ML's Bayesian sampling takes no early-termination policy.
    throw new OptionError(
      "--policy",
      'must be "none" with --sampling bayesian (Azure ML stops no Bayesian trial early)',
      opts.policy,
    );
  }
  const schedule: PolicySchedule = {
    evaluationInterval: opts.evaluationInterval ?? 1,
    delayEvaluation: opts.delayEvaluation ?? 0,
  };
  switch (kind) {
    case "none":
      return undefined;
    case "bandit":
      if ((opts.slackFactor === undefined) === (opts.slackAmount === undefined)) {
        throw new OptionError(
          "--policy",
          "bandit needs one of --slack-factor and --slack-amount, not both",
          opts.policy,
        );
      }
      return {
        kind: "bandit",
        slackFactor: opts.slackFactor,
        slackAmount: opts.slackAmount,
        ...schedule,
      };
    case "median":
      return { kind: "median", ...schedule };
    case "truncation":
      if (opts.truncationPercentage === undefined) {
        throw new OptionError("--policy", "truncation needs --truncation-percentage", opts.policy);
      }
      return { kind: "truncation", truncationPercentage: opts.truncationPercentage, ...schedule };
  }
}
