/**
 * `mlops runs list|show`: the tracked runs, read from where `mlops train` and the other run
 * commands track them (`MLFLOW_TRACKING_URI`'s MLflow server when it is set, else the store).
 */
import type { Command } from "commander";
import { OptionError } from "../errors.js";
import { selectRunReader } from "../tracking/select.js";
import type { CliContext } from "./context.js";
import { newestFirst, runListText, runText } from "./run-text.js";

/** Most experiments an unknown `--experiment`'s error names: the most recent (`experimentNames`). */
const NAMED_EXPERIMENTS = 10;

/** Adds `mlops runs list|show`. */
export function registerRunsCommands(program: Command, ctx: CliContext): void {
  const runs = program
    .command("runs")
    .description(
      "Tracked runs: MLFLOW_TRACKING_URI's MLflow server when it is set, else the store.",
    );
  runs
    .command("list")
    .description(
      "Runs, newest first, optionally of one experiment (a model name for `mlops train`).",
    )
    .option("--experiment <name>", "only this experiment")
    .option("--json", "print one JSON array instead of text")
    .action((opts: { experiment?: string; json?: boolean }) =>
      ctx.withStore(async (store) => {
        if (opts.experiment?.trim() === "") {
          throw new OptionError("--experiment", "must name an experiment", opts.experiment);
        }
        const reader = selectRunReader(ctx.io.env, store);
        const found = newestFirst(
          await reader.list(
            opts.experiment === undefined ? {} : { experimentName: opts.experiment },
          ),
        );
        if (found.length === 0 && opts.experiment !== undefined) {
          const names = await reader.experimentNames();
          if (!names.includes(opts.experiment)) throw unknownExperiment(opts.experiment, names);
        }
        ctx.print(opts.json, found, () => runListText(found, opts.experiment));
      }),
    );
  runs
    .command("show")
    .description(
      "One run: status, start, end and duration, then its params, metrics, tags and artifacts.",
    )
    .argument("<run-id>", "the run id")
    .option("--json", "print one JSON object instead of text")
    .action((runId: string, opts: { json?: boolean }) =>
      ctx.withStore(async (store) => {
        const r = await selectRunReader(ctx.io.env, store).get(runId);
        if (!r) throw new OptionError("run-id", "names no tracked run", runId);
        ctx.print(opts.json, r, () => runText(r));
      }),
    );
}

/**
 * `--experiment name` naming no experiment, with the experiments there are (the most recent ones,
 * when there are many).
 */
function unknownExperiment(name: string, names: readonly string[]): OptionError {
  const named = names.slice(0, NAMED_EXPERIMENTS).join(", ");
  const known =
    names.length === 0
      ? "there is none yet"
      : names.length <= NAMED_EXPERIMENTS
        ? `the experiments are ${named}`
        : `the ${NAMED_EXPERIMENTS} most recent of the ${names.length} experiments are ${named}`;
  return new OptionError("--experiment", `names no experiment: ${known}`, name);
}
