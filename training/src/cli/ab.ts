/**
 * `mlops ab analyze|plan|simulate`: decide an experiment from the store (and write the report,
 * the decision record the release step reads, and on `--apply` the decision itself), size an
 * experiment before it runs, and send synthetic traffic with a known effect to a running API.
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import { CHAMPION, decimalText } from "@mlops/contracts";
import { type StagedFile, stageFile } from "@mlops/contracts/files";
import {
  type Analysis,
  type AppliedDecision,
  type ArmModel,
  analyzeExperiment,
  applyDecision,
  armModels,
  ExperimentsInputError,
  MAX_LIFT_POINTS,
  type Plan,
  type PlanMetric,
  type PlanSize,
  planExperiment,
  type ReachableMde,
  reachableMde,
  readLiftPath,
  renderLiftChart,
  renderReport,
  simulateTraffic,
  type TrafficSummary,
  toDecisionRecord,
} from "@mlops/experiments";
import { type Command, CommanderError, InvalidArgumentError } from "commander";
import { z } from "zod";
import { OptionError } from "../errors.js";
import { selectTracking } from "../tracking/select.js";
import type { CliContext } from "./context.js";
import { number, seconds } from "./flags.js";

/** Exit code of `mlops ab analyze` when the decision is `invalid` (errors exit 1). */
export const INVALID_DECISION_EXIT_CODE = 2;

const PLAN_METRICS: readonly PlanMetric[] = ["accuracy", "mean"];

function wholeFlag(flag: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${flag} must be a whole number in [${min}, ${max}] (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

function metricFlag(text: string): PlanMetric {
  if (!(PLAN_METRICS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(
      `--metric must be ${PLAN_METRICS.join(" or ")} (got ${JSON.stringify(text)})`,
    );
  }
  return text as PlanMetric;
}

/**
 * `--sd` describes a numeric outcome: with `--metric accuracy` it would have no effect (a 0/1
 * outcome's spread follows from its rate), so it is refused rather than ignored.
 */
function checkSdFlag(metric: PlanMetric, sd: number | undefined): void {
  if (sd !== undefined && metric !== "mean") {
    throw new OptionError(
      "--sd",
      `applies to --metric mean only: ${metric}'s spread follows from its rate`,
      sd,
    );
  }
}

const TRAFFIC = decimalText(z.number().positive());

/** Predictions per day, written `N` or `N/day` in decimal digits. */
function trafficFlag(text: string): number {
  const n = TRAFFIC.safeParse(text.replace(/\/day$/, ""));
  if (!n.success) {
    throw new InvalidArgumentError(
      `--traffic must be predictions per day > 0, as N or N/day in decimal digits (got ${JSON.stringify(text)})`,
    );
  }
  return n.data;
}

/**
 * `--power` must exceed `--alpha`: with no effect at all the test already rejects with
 * probability alpha, so a power at or below it asks for nothing a test blind to the effect
 * would not give (and the sizes' z_(1-alpha/2) + z_power would plan for no data at all).
 * Out-of-range values are left to the plan's own checks, which name the rule.
 */
function checkPowerFlag({ alpha, power }: PlanFlags): void {
  if (power > 0 && alpha < 1 && power <= alpha) {
    throw new OptionError(
      "--power",
      `must exceed --alpha (${alpha}): a test already rejects with probability alpha when there is no effect, so a lower power asks for nothing`,
      power,
    );
  }
}

/**
 * Sizes past Number.MAX_SAFE_INTEGER are not counts a double holds exactly (3.9e18 prints as
 * 3924440089156033000): an effect needing them is too small to detect, and is refused.
 */
function checkPlanSize(plan: Plan): void {
  const most = Math.max(plan.fixedHorizon.perArm, plan.sequential.perArm);
  if (most > Number.MAX_SAFE_INTEGER) {
    throw new OptionError(
      "--mde",
      `is too small to detect: it would need about ${most.toPrecision(2)} observations per arm, more than ${Number.MAX_SAFE_INTEGER}`,
      plan.mde,
    );
  }
}

/**
 * Re-labels an `ExperimentsInputError` about an option with the flag the user typed
 * (`challengerWeight: …` → `--challenger-weight: …`); other errors pass unchanged.
 */
function asFlagError(error: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (error instanceof ExperimentsInputError && flags[error.argument] !== undefined) {
    return new Error(`${flags[error.argument]}${error.message.slice(error.argument.length)}`);
  }
  return error;
}

/** The chart's file beside the report: `reports/ab.md` → `reports/ab.lift.svg`. */
function chartPathOf(reportPath: string): string {
  const name = basename(reportPath, extname(reportPath));
  return join(dirname(reportPath), `${name}.lift.svg`);
}

interface AnalyzeFlags {
  experiment: string;
  json?: boolean;
  report?: string;
  decisionOut?: string;
  apply?: boolean;
  points: number;
}

interface PlanFlags {
  baseline: number;
  mde: number;
  metric: PlanMetric;
  sd?: number;
  alpha: number;
  power: number;
  traffic?: number;
  challengerWeight: number;
  experiment?: string;
  json?: boolean;
}

interface SimulateFlags {
  url: string;
  effect: number;
  metric: PlanMetric;
  baseline?: number;
  sd: number;
  requests: number;
  users?: number;
  seed: number;
  concurrency: number;
  features: number;
  timeout: number;
  json?: boolean;
}

const fmt = (x: number): string => String(Number(x.toPrecision(4)));
/** `x` with the digits that tell it from `x ± step` (at least 4: 0.999999 → 0.9999995 reads so). */
const fmtTo = (x: number, step: number): string => {
  const digits = Math.ceil(Math.log10(Math.abs(x) / step)) + 2;
  return String(Number(x.toPrecision(Math.min(17, Math.max(4, digits || 4)))));
};
const days = (d: number | null): string => (d === null ? "" : `, ${fmt(d)} days`);
/** A size per arm, saying so where the decision's minimum, not the power, set it. */
const perArm = (size: PlanSize): string =>
  size.perArm > size.byPower
    ? `${size.perArm} per arm (the fewest mlops ab analyze compares; the power alone needs ${size.byPower})`
    : `${size.perArm} per arm`;

function formatPlan(plan: Plan, flags: PlanFlags, reachable: ReachableMde | null): string {
  const traffic =
    flags.traffic === undefined
      ? ""
      : ` (at ${flags.traffic}/day, ${fmt(flags.challengerWeight)}% to the challenger; the smaller arm sets the pace)`;
  const lines = [
    `${plan.metric} ${fmtTo(plan.baseline, plan.mde)} → ${fmtTo(plan.target, plan.mde)} (MDE ${fmt(plan.mde)}), alpha ${plan.alpha}, power ${plan.power}${traffic}`,
    `fixed-horizon test, looked at once: ${perArm(plan.fixedHorizon)}${days(plan.fixedHorizon.days)}`,
    `always-valid test (what mlops ab analyze decides with): ${perArm(plan.sequential)}${days(plan.sequential.days)}`,
  ];
  if (reachable !== null) {
    lines.push(
      `experiment ${flags.experiment} so far: ${reachable.controlN} and ${reachable.treatmentN} observations; ` +
        (reachable.mde === null
          ? "too little varied data to estimate the detectable difference yet"
          : // Accuracies differ by less than 1: past it, the test cannot reject yet whatever the truth.
            reachable.metric === "accuracy" && reachable.mde >= 1
            ? `no accuracy difference is detectable yet with power ${plan.power} (the always-valid test needs more data)`
            : `detectable ${reachable.metric} difference now ${fmt(reachable.mde)} (power ${plan.power}, the always-valid test)`),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Requests that were sent: every one ended completed, failed, or cut off by the time bound. */
const sentOf = (s: TrafficSummary): number => s.completed + s.failed + s.unanswered;

function formatTraffic(s: TrafficSummary): string {
  const what = s.metric === "accuracy" ? "accuracy" : "mean outcome";
  const unanswered = s.unanswered > 0 ? `, ${s.unanswered} unanswered` : "";
  const lines = [
    `sent ${sentOf(s)} of ${s.requested} requests to ${s.url} in ${fmt(s.elapsedMs / 1000)} s: ` +
      `${s.completed} predictions with feedback, ${s.failed} failed${unanswered}${s.timedOut ? " (stopped by --timeout)" : ""}`,
    ...Object.entries(s.arms).map(
      ([arm, a]) =>
        `  ${arm.padEnd(11)} ${a.predictions} predictions, ${a.feedback} outcomes, ${what} ${fmt(a.meanOutcome)}`,
    ),
    `known effect: challenger − champion ${what} = ${s.effect >= 0 ? "+" : ""}${s.effect} (champion baseline ${s.baseline}), seed ${s.seed}`,
  ];
  if (s.firstError !== null) lines.push(`first failure: ${s.firstError}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Why a run in which no request succeeded fails: how many of the requests sent failed (and the
 * first reason), and how many had no answer yet when `--timeout` stopped the run.
 */
function noneSucceeded(s: TrafficSummary, timeoutS: number): string {
  const parts = [
    ...(s.failed > 0 ? [`${s.failed} failed (the first: ${s.firstError})`] : []),
    ...(s.unanswered > 0
      ? [`${s.unanswered} had no answer when --timeout ${timeoutS} s stopped the run`]
      : []),
  ];
  return `no request succeeded: of ${sentOf(s)} sent, ${parts.join(" and ")}`;
}

/** The analysis as one JSON object: the decision, every number behind it, and what was done. */
function analysisJson(
  analysis: Analysis,
  extra: {
    record: unknown;
    applied: unknown;
    files: Record<string, string | null>;
    armModels: Readonly<Record<string, ArmModel | null>>;
  },
) {
  const { result } = analysis;
  return {
    experiment_id: analysis.experiment.id,
    decision: result.decision,
    reasons: result.reasons,
    assignment: analysis.assignment,
    arms: result.arms,
    arm_models: extra.armModels,
    srm: result.srm,
    primary: result.primary,
    guardrails: result.guardrails,
    metrics: analysis.metrics,
    previous_p_value: analysis.previousPValue,
    decision_record: extra.record,
    applied: extra.applied,
    files: extra.files,
  };
}

/**
 * `flags` with the experiment's own challenger share (its current configuration's, as judged)
 * and significance level where the command line did not set them: a plan for an experiment is
 * sized at the split and alpha its decisions use.
 */
function withExperimentDefaults(flags: PlanFlags, analysis: Analysis, command: Command): PlanFlags {
  const given = (name: keyof PlanFlags) => command.getOptionValueSource(name) === "cli";
  const { variants, alpha } = analysis.experiment;
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const treatment = variants.find((v) => v.name === analysis.result.arms.treatment);
  return {
    ...flags,
    alpha: given("alpha") ? flags.alpha : alpha,
    challengerWeight:
      given("challengerWeight") || treatment === undefined || total === 0
        ? flags.challengerWeight
        : (100 * treatment.weight) / total,
  };
}

/** Adds `ab analyze|plan|simulate` to the `mlops` program. */
export function registerAbCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const ab = program
    .command("ab")
    .description("A/B experiments: analyze and decide, plan sizes, simulate traffic.");

  ab.command("analyze")
    .description(
      `Analyze an experiment in the store and decide promote, continue, rollback or invalid, with every number behind it. Exits 0 on promote, continue and rollback, ${INVALID_DECISION_EXIT_CODE} on invalid, 1 on errors. A concluded experiment is read as it stood when it concluded, and its decision is the recorded one.`,
    )
    .requiredOption("--experiment <id>", "experiment id")
    .option("--json", "print one JSON object instead of the report")
    .option(
      "--report <file.md>",
      "write the Markdown report there, and the lift chart beside it (<name>.lift.svg)",
    )
    .option(
      "--decision-out <file.json>",
      "write the decision record (what `mlops release plan --decision` reads)",
    )
    .option(
      "--apply",
      "record the decision, and on promote move the champion alias (a concluded experiment: nothing)",
    )
    .option(
      "--points <n>",
      "looks in the lift chart",
      wholeFlag("--points", 1, MAX_LIFT_POINTS),
      60,
    )
    .action((opts: AnalyzeFlags) =>
      ctx.withStore(async (store) => {
        const analysis = await analyzeExperiment(store, opts.experiment).catch((error) => {
          throw asFlagError(error, { experimentId: "--experiment" });
        });
        const { experiment, result } = analysis;
        const decidedAt = Date.now();
        const meta = {
          id: `${experiment.id}:${decidedAt}`,
          experiment,
          decidedAt,
        };
        // Everything to write is computed first, so a failed apply leaves no files behind.
        const chartPath = opts.report === undefined ? null : chartPathOf(opts.report);
        const lift =
          opts.report === undefined
            ? null
            : await readLiftPath(store, analysis, { points: opts.points });
        const chart = lift !== null && lift.length > 0 ? renderLiftChart(analysis, lift) : null;
        // What each arm serves (version, algorithm), as the report and --json name it.
        const served = await armModels(store, experiment);
        const report =
          opts.report === undefined
            ? null
            : renderReport(analysis, {
                chartFile: chart === null ? null : basename(chartPath!),
                armModels: served,
              });
        // A concluded experiment's decision is the recorded one that concluded it: planning it
        // again changes nothing, and applying records nothing (the pipeline re-runs both).
        const { concludedBy } = analysis;
        const record = concludedBy ?? toDecisionRecord(result, meta);
        const outputs: [path: string, data: string][] = [];
        if (chart !== null) outputs.push([chartPath!, chart]);
        if (report !== null) outputs.push([opts.report!, report]);
        if (opts.decisionOut !== undefined) {
          outputs.push([opts.decisionOut, `${JSON.stringify(record, null, 2)}\n`]);
        }
        const paths = outputs.map(([path]) => resolve(path));
        if (new Set(paths).size < paths.length) {
          throw new OptionError(
            "--decision-out",
            "must name another file than --report and its chart",
            opts.decisionOut,
          );
        }
        // The files are staged before the decision is applied and put in place after it: one that
        // cannot be written fails the command before anything changes, and a failed apply
        // leaves none of them behind.
        const staged: StagedFile[] = [];
        let applied: AppliedDecision | null = null;
        try {
          for (const [path, data] of outputs) staged.push(await stageFile(path, data));
          if (opts.apply && concludedBy === null) {
            applied = await applyDecision(store, analysis, { decisionId: meta.id, now: decidedAt });
          }
          // The store holds the aliases; an MLflow registry (or Azure ML's, as tags) mirrors them.
          const move = applied?.championMove;
          if (move) {
            await selectTracking(io.env, store).mirror?.aliasMoved(move.model, CHAMPION, move.to);
          }
        } catch (error) {
          await Promise.all(staged.map((file) => file.discard()));
          throw error;
        }
        for (const file of staged) await file.commit();

        if (opts.json) {
          const files = {
            report: opts.report ?? null,
            chart: chart === null ? null : chartPath,
            decision: opts.decisionOut ?? null,
          };
          const json = analysisJson(analysis, { record, applied, files, armModels: served });
          io.stdout(`${JSON.stringify(json)}\n`);
        } else {
          io.stdout(report ?? renderReport(analysis, { chartFile: null, armModels: served }));
          if (concludedBy !== null) {
            io.stdout(
              `\nexperiment ${experiment.id} was concluded by decision ${concludedBy.id} (${concludedBy.decision})${opts.apply ? "; nothing more to apply" : ""}\n`,
            );
          } else if (applied !== null) {
            const move = applied.championMove;
            io.stdout(
              `\nrecorded decision ${record.id}; experiment ${applied.state}` +
                (move === null
                  ? ""
                  : `; ${move.model}@champion moved v${move.from} → v${move.to}`) +
                "\n",
            );
          }
          for (const path of [chart === null ? null : chartPath, opts.report, opts.decisionOut]) {
            if (path) io.stdout(`wrote ${path}\n`);
          }
        }
        if (concludedBy === null && result.decision === "invalid") {
          io.stderr(`decision invalid: ${result.reasons[0] ?? "no reason"}\n`);
          throw new CommanderError(INVALID_DECISION_EXIT_CODE, "mlops.ab.invalid", "invalid");
        }
      }),
    );

  ab.command("plan")
    .description(
      "Observations per arm (and days, with --traffic) to detect an absolute improvement --mde over --baseline; with --experiment, the difference detectable with its traffic so far.",
    )
    .requiredOption(
      "--baseline <x>",
      "champion accuracy in (0, 1), or mean outcome",
      number("--baseline"),
    )
    .requiredOption("--mde <x>", "smallest absolute improvement worth detecting", number("--mde"))
    .option("--metric <m>", `${PLAN_METRICS.join(" or ")}`, metricFlag, "accuracy" as PlanMetric)
    .option("--sd <s>", "per-observation SD of the outcome (required for mean)", number("--sd"))
    .option("--alpha <a>", "two-sided significance level", number("--alpha"), 0.05)
    .option("--power <p>", "target power", number("--power"), 0.8)
    .option("--traffic <n/day>", "predictions per day over both arms", trafficFlag)
    .option(
      "--challenger-weight <percent>",
      "challenger's share of traffic (default: --experiment's split, else 50)",
      number("--challenger-weight"),
      50,
    )
    .option(
      "--experiment <id>",
      "plan with its split and alpha (unless given), and report what it can detect now",
    )
    .option("--json", "print one JSON object")
    .action(async (flags: PlanFlags, command: Command) => {
      checkSdFlag(flags.metric, flags.sd);
      const experiment = flags.experiment;
      const analysis =
        experiment === undefined
          ? null
          : await ctx.withStore((store) =>
              analyzeExperiment(store, experiment).catch((error) => {
                throw asFlagError(error, { experimentId: "--experiment" });
              }),
            );
      const opts = analysis === null ? flags : withExperimentDefaults(flags, analysis, command);
      checkPowerFlag(opts);
      let plan: Plan;
      try {
        plan = planExperiment({
          metric: opts.metric,
          baseline: opts.baseline,
          mde: opts.mde,
          sd: opts.sd,
          alpha: opts.alpha,
          power: opts.power,
          trafficPerDay: opts.traffic,
          challengerWeight: opts.challengerWeight,
        });
      } catch (error) {
        throw asFlagError(error, {
          baseline: "--baseline",
          mde: "--mde",
          sd: "--sd",
          alpha: "--alpha",
          power: "--power",
          trafficPerDay: "--traffic",
          challengerWeight: "--challenger-weight",
        });
      }
      checkPlanSize(plan);
      const reachable = analysis === null ? null : reachableMde(analysis, plan.power);
      io.stdout(
        opts.json
          ? `${JSON.stringify({ ...plan, experiment: experiment ?? null, reachable })}\n`
          : formatPlan(plan, opts, reachable),
      );
    });

  ab.command("simulate")
    .description(
      "Send labelled synthetic traffic with a known effect to a running API: predictions for many users, then feedback whose outcomes make the challenger better by --effect. Bounded by --requests and --timeout.",
    )
    .requiredOption(
      "--url <url>",
      "base URL of the API; a path in it prefixes /predict and /feedback",
    )
    .requiredOption(
      "--effect <e>",
      "challenger − champion: accuracy difference (0.05 = 5 points) or outcome units",
      number("--effect"),
    )
    .option(
      "--metric <m>",
      `${PLAN_METRICS.join(" or ")} (of a numeric outcome)`,
      metricFlag,
      "accuracy" as PlanMetric,
    )
    .option(
      "--baseline <x>",
      "champion accuracy (default 0.7) or mean outcome (default 10)",
      number("--baseline"),
    )
    .option("--sd <s>", "SD of numeric outcomes", number("--sd"), 1)
    .option("--requests <n>", "predictions to request", wholeFlag("--requests", 1, 1_000_000), 1000)
    .option(
      "--users <n>",
      "distinct users (default: one per request)",
      wholeFlag("--users", 1, 1_000_000),
    )
    .option("--seed <s>", "seed of the traffic", wholeFlag("--seed", 0, 2 ** 32 - 1), 1)
    .option("--concurrency <n>", "requests in flight", wholeFlag("--concurrency", 1, 256), 8)
    .option("--features <k>", "features per row", wholeFlag("--features", 1, 1024), 5)
    .option("--timeout <seconds>", "stop sending after this long", seconds("--timeout"), 120)
    .option("--json", "print one JSON object")
    .action(async (opts: SimulateFlags, command: Command) => {
      // --sd has a default here: only one given on the command line is refused.
      checkSdFlag(opts.metric, command.getOptionValueSource("sd") === "cli" ? opts.sd : undefined);
      const summary = await simulateTraffic({
        url: opts.url,
        effect: opts.effect,
        metric: opts.metric,
        baseline: opts.baseline,
        sd: opts.sd,
        requests: opts.requests,
        users: opts.users,
        seed: opts.seed,
        concurrency: opts.concurrency,
        features: opts.features,
        timeoutMs: opts.timeout * 1000,
      }).catch((error) => {
        throw asFlagError(error, {
          url: "--url",
          effect: "--effect",
          baseline: "--baseline",
          sd: "--sd",
          timeoutMs: "--timeout",
        });
      });
      io.stdout(opts.json ? `${JSON.stringify(summary)}\n` : formatTraffic(summary));
      if (summary.completed === 0) throw new Error(noneSucceeded(summary, opts.timeout));
    });
}
