/**
 * The pipeline's commands: `mlops smoke` (check a deployed API through its ingress) and
 * `mlops release plan|candidate` (turn an A/B decision or a new challenger build into stack-config
 * changes, and write them with the Pulumi CLI on `--apply`). The GitHub workflow calls exactly
 * these, so every pipeline step can be run by hand too.
 */
import { readFile } from "node:fs/promises";
import { parseStoreConfig } from "@mlops/contracts";
import { openStore } from "@mlops/store";
import { type Command, InvalidArgumentError } from "commander";
import { ensureStackExperiment } from "../pipeline/experiment.js";
import { applyChanges } from "../pipeline/pulumi.js";
import {
  configKeyOf,
  formatPlan,
  parseDecision,
  planCandidate,
  planDecision,
  planJson,
  type ReleasePlan,
} from "../pipeline/release.js";
import {
  DEFAULT_CANARY_HEADER,
  DEFAULT_FEATURES,
  formatSmokeReport,
  runSmoke,
} from "../pipeline/smoke.js";
import { readStackTarget, type ServingField, type StackTarget } from "../pipeline/stack-config.js";
import type { CliIo } from "./main.js";

/** The production stack's config file, relative to the repository root. */
export const DEFAULT_STACK_CONFIG = "Pulumi.prod.yaml";

/** Longest the smoke test waits for one answer by default, in seconds. */
const DEFAULT_TIMEOUT_S = 10;

function seconds(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 300) {
    throw new InvalidArgumentError(
      `--timeout must be seconds in (0, 300] (got ${JSON.stringify(text)})`,
    );
  }
  return n;
}

function httpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`--url must be an absolute URL (got ${JSON.stringify(text)})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError(`--url must be http or https (got ${url.protocol})`);
  }
  return url.href;
}

function featureRow(text: string): number[] {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    row = undefined;
  }
  if (!Array.isArray(row) || row.length === 0 || !row.every((x) => Number.isFinite(x))) {
    throw new InvalidArgumentError(`--features must be a JSON array of numbers (got ${text})`);
  }
  return row;
}

function percent(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 100) {
    throw new InvalidArgumentError(
      `--canary-weight must be an integer in 0-100 (got ${JSON.stringify(text)})`,
    );
  }
  return n;
}

interface SmokeFlags {
  url: string;
  headerName: string;
  timeout: number;
  features: number[];
  garchModel?: string;
  routing: boolean;
  json?: boolean;
}

interface ReleaseFlags {
  stackConfig: string;
  apply?: boolean;
  json?: boolean;
}

/** Adds `smoke` and `release` to the `mlops` program. */
export function registerPipelineCommands(program: Command, io: CliIo): void {
  program
    .command("smoke")
    .description(
      "Smoke-test a running prediction API: health, readiness, models, a prediction, a GARCH forecast and the canary header routing; exits 1 if any check fails.",
    )
    .requiredOption("--url <url>", "base URL of the API (the ingress in the cloud)", httpUrl)
    .option("--header-name <name>", "canary routing header of the ingress", DEFAULT_CANARY_HEADER)
    .option("--timeout <seconds>", "longest wait for each answer", seconds, DEFAULT_TIMEOUT_S)
    .option("--features <json>", "feature row to predict", featureRow, [...DEFAULT_FEATURES])
    .option("--garch-model <ref>", "GARCH model to forecast (default: the one the API serves)")
    .option("--no-routing", "skip the header routing checks (one process serving both arms)")
    .option("--json", "print the report as one JSON object")
    .action(async (opts: SmokeFlags) => {
      const report = await runSmoke({
        url: opts.url,
        headerName: opts.headerName,
        timeoutMs: opts.timeout * 1000,
        features: opts.features,
        garchModel: opts.garchModel,
        routing: opts.routing,
      });
      io.stdout(opts.json ? `${JSON.stringify(report)}\n` : formatSmokeReport(report));
      const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
      if (failed.length > 0) throw new Error(`smoke failed: ${failed.join(", ")}`);
    });

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
      const store = await openStore(parseStoreConfig(io.env));
      try {
        const { created, experiment } = await ensureStackExperiment(store, target.serving);
        io.stdout(
          opts.json
            ? `${JSON.stringify({ created, experiment })}\n`
            : `experiment ${experiment.id} ${created ? "defined" : "already defined"}: ${experiment.variants
                .map((v) => `${v.name} ${v.model} ${v.weight}%`)
                .join(", ")}\n`,
        );
      } finally {
        await store.close();
      }
    });

  withStack(
    release
      .command("plan")
      .description(
        "Turn an A/B decision into stack-config changes: promote (challenger becomes champion, canary to 0), rollback (canary to 0, challenger back to the champion), continue (none), invalid (none, exit 1).",
      )
      .requiredOption("--decision <file>", "decision record (JSON) written by `mlops ab analyze`"),
  ).action(async (opts: ReleaseFlags & { decision: string }) => {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(opts.decision, "utf8"));
    } catch (error) {
      throw new Error(`--decision must be a readable JSON file: ${(error as Error).message}`);
    }
    const decision = parseDecision(raw);
    const target = await readStackTarget(opts.stackConfig);
    await finish(planDecision(decision, target.serving), target, opts);
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
