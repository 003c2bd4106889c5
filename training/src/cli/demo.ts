import { NameSchema, SERVING_DEFAULTS } from "@mlops/contracts";
import { type Command, InvalidArgumentError } from "commander";
import { interruptible } from "../interrupt.js";
import { runDemoJob } from "../jobs/demo.js";
import type { CliContext } from "./context.js";
import { artifactRoot, artifactsHelp, integer, threadsFlag, treesFlag } from "./flags.js";

/**
 * Adds `mlops demo`: registers what `pnpm start` serves (the demo forest champion and boosted-trees
 * challenger, the GARCH fit and the experiment), reusing whatever is registered already.
 */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description(
      "Register the demo models pnpm start serves: a random-forest champion and a gradient-boosted challenger on the demo data, GARCH(1,1) on dem2gbp, and the A/B experiment (what is registered is reused).",
    )
    .option("--trees <n>", "trees of the forest and rounds of the boosted trees", treesFlag, 100)
    .option("--threads <t>", "worker threads for training (1 to 64)", threadsFlag, 1)
    .option("--artifacts <dir>", artifactsHelp("directory for run artifacts"))
    .option(
      "--experiment <id>",
      "the A/B experiment's id",
      experimentFlag,
      SERVING_DEFAULTS.experimentId,
    )
    .option(
      "--challenger-weight <pct>",
      "percent of users the experiment sends to the challenger (0-100)",
      integer("--challenger-weight", 0, 100),
      SERVING_DEFAULTS.challengerWeight,
    )
    .option("--json", "print one JSON object instead of text")
    .action((opts: DemoFlags) =>
      ctx.withStore(async (store) => {
        const result = await interruptible((signal) =>
          runDemoJob({
            signal,
            store,
            artifactRoot: artifactRoot(opts.artifacts, ctx.io.env),
            experimentId: opts.experiment,
            challengerWeight: opts.challengerWeight,
            trees: opts.trees,
            threads: opts.threads,
            // Transient lines (progress bars) are left out: this output is for logs.
            progress: (line, transient) => {
              // Progress goes to stderr, so stdout holds only the result.
              if (!transient) ctx.io.stderr(`${line}\n`);
            },
          }),
        );
        ctx.print(opts.json, result, () =>
          [
            ...result.models.map(
              (m) =>
                `${m.name}@${m.alias} = v${m.version}${m.registered ? " (registered now)" : ""}\n`,
            ),
            `experiment ${result.experiment.id}${result.experiment.created ? " (created now)" : ""}\n`,
          ].join(""),
        );
      }),
    );
}

/** `--experiment`: an experiment id (the registry's name rule), checked before anything is trained. */
function experimentFlag(text: string): string {
  const id = NameSchema.safeParse(text);
  if (!id.success) {
    const rule = id.error.issues[0]?.message ?? "is not a valid experiment id";
    throw new InvalidArgumentError(`--experiment ${rule} (got ${JSON.stringify(text)})`);
  }
  return text;
}

interface DemoFlags {
  trees: number;
  threads: number;
  artifacts?: string;
  experiment: string;
  challengerWeight: number;
  json?: boolean;
}
