/**
 * `mlops release show|experiment|plan|candidate`: turn an A/B decision or a new challenger build
 * into stack-config changes, print them, and write them with the Pulumi CLI on `--apply`; show
 * what the stack serves; define the stack's experiment in the store. The GitHub workflow calls
 * exactly these, so every pipeline step can be run by hand too.
 */
import type { ServingField } from "@mlops/contracts";
import { JsonFileError, readJsonFile } from "@mlops/contracts/files";
import type { Command } from "commander";
import { ensureStackExperiment } from "../experiment.js";
import {
  configKeyOf,
  formatPlan,
  parseDecision,
  planCandidate,
  planDecision,
  planJson,
  type ReleasePlan,
} from "../plan.js";
import { applyChanges } from "../pulumi.js";
import { readStackTarget, type StackTarget } from "../stack-config.js";
import type { ReleaseCommandContext } from "./context.js";
import { percent } from "./flags.js";

/** The production stack's config file, relative to the repository root. */
export const DEFAULT_STACK_CONFIG = "Pulumi.prod.yaml";

interface ReleaseFlags {
  stackConfig: string;
  apply?: boolean;
  json?: boolean;
}

/** Adds `release show|experiment|plan|candidate` to the `mlops` program. */
export function registerReleaseCommands(program: Command, ctx: ReleaseCommandContext): void {
  const { io } = ctx;
  const release = program
    .command("release")
    .description("Turn releases into Pulumi stack-config changes (and apply them).");

  /** Prints `plan`, applies it when asked, and fails when the plan says the release must not go. */
  const finish = async (plan: ReleasePlan, target: StackTarget, opts: ReleaseFlags) => {
    const apply = opts.apply === true && plan.ok && plan.changes.length > 0;
    if (!opts.json) io.stdout(formatPlan(plan, target));
    if (apply) await applyChanges(target, plan.changes, io.env);
    if (opts.json) io.stdout(`${JSON.stringify(planJson(plan, target, apply))}\n`);
    else if (apply) io.stdout(`applied ${plan.changes.length} change(s) with pulumi config set\n`);
    else if (opts.apply && plan.ok) io.stdout("nothing to apply\n");
    if (!plan.ok) throw new Error(`decision ${plan.action}: ${plan.reason}`);
  };
  const withStack = (command: Command) =>
    command
      .option("--stack-config <file>", "the stack's config file", DEFAULT_STACK_CONFIG)
      .option("--apply", "write the changes with `pulumi config set` (needs the Pulumi CLI)")
      .option("--json", "print the plan as one JSON object");

  release
    .command("show")
    .description("Print what the stack serves: image tags, models, canary weight, experiment id.")
    .option("--stack-config <file>", "the stack's config file", DEFAULT_STACK_CONFIG)
    .option("--json", "print one JSON object")
    .action(async (opts: { stackConfig: string; json?: boolean }) => {
      const target = await readStackTarget(opts.stackConfig);
      io.stdout(
        opts.json
          ? `${JSON.stringify(target.serving)}\n`
          : Object.entries(target.serving)
              .map(([field, value]) => `${configKeyOf(target, field as ServingField)}  ${value}\n`)
              .join(""),
      );
    });

  release
    .command("experiment")
    .description(
      "Define the A/B experiment the stack runs in the store (MLOPS_STORE): its id, the champion and challenger models, the canary weight as the challenger's share; a no-op when it exists with the same models.",
    )
    .option("--stack-config <file>", "the stack's config file", DEFAULT_STACK_CONFIG)
    .option("--json", "print one JSON object")
    .action(async (opts: { stackConfig: string; json?: boolean }) => {
      const target = await readStackTarget(opts.stackConfig);
      const { created, experiment } = await ctx.withStore((store) =>
        ensureStackExperiment(store, target.serving),
      );
      io.stdout(
        opts.json
          ? `${JSON.stringify({ created, experiment })}\n`
          : `experiment ${experiment.id} ${created ? "defined" : "already defined"}: ${experiment.variants
              .map((v) => `${v.name} ${v.model} ${v.weight}%`)
              .join(", ")}\n`,
      );
    });

  withStack(
    release
      .command("plan")
      .description(
        "Turn an A/B decision into stack-config changes: promote (challenger becomes champion, canary to 0), rollback (canary to 0, challenger back to the champion), continue (none), invalid (none, exit 1).",
      )
      .requiredOption("--decision <file>", "decision record (JSON) written by `mlops ab analyze`"),
  ).action(async (opts: ReleaseFlags & { decision: string }) => {
    const raw = await readJsonFile(opts.decision).catch((error: unknown) => {
      if (!(error instanceof JsonFileError)) throw error;
      throw new Error(`--decision must be a readable JSON file: ${error.reason}`);
    });
    const decision = parseDecision(raw);
    const target = await readStackTarget(opts.stackConfig);
    await finish(planDecision(decision, target.serving, Date.now()), target, opts);
  });

  withStack(
    release
      .command("candidate")
      .description(
        "Put a new challenger build behind the canary: its image tag, model and experiment id (and optionally a canary weight).",
      )
      .requiredOption("--image-tag <tag>", "tag of the pushed serving image")
      .requiredOption("--model <ref>", "model the image serves, pinned (name@version)")
      .option("--experiment <id>", "experiment id (default: <name>-<champion>-vs-<challenger>)")
      .option("--canary-weight <percent>", "canary weight for the experiment", percent),
  ).action(
    async (
      opts: ReleaseFlags & {
        imageTag: string;
        model: string;
        experiment?: string;
        canaryWeight?: number;
      },
    ) => {
      const target = await readStackTarget(opts.stackConfig);
      const plan = planCandidate(
        {
          imageTag: opts.imageTag,
          model: opts.model,
          experimentId: opts.experiment,
          canaryWeight: opts.canaryWeight,
        },
        target.serving,
      );
      await finish(plan, target, opts);
    },
  );
}
