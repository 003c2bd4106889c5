/**
 * `mlops runs list|show`: the tracked runs, read from where `mlops train` and the other run
 * commands track them (`MLFLOW_TRACKING_URI`'s MLflow server when it is set, else the store).
 */
import type { Command } from "commander";
import { OptionError } from "../errors.js";
import { selectRunReader } from "../tracking/select.js";
import type { CliContext } from "./context.js";

/** Adds `mlops runs list|show`. */
export function registerRunsCommands(program: Command, ctx: CliContext): void {
  const runs = program
    .command("runs")
    .description(
      "Tracked runs: MLFLOW_TRACKING_URI's MLflow server when it is set, else the store.",
    );
  runs
    .command("list")
    .description("Runs, optionally of one experiment (a model name for `mlops train`).")
    .option("--experiment <name>", "only this experiment")
    .option("--json", "print JSON")
    .action((opts: { experiment?: string; json?: boolean }) =>
      ctx.withStore(async (store) => {
        if (opts.experiment?.trim() === "") {
          throw new OptionError("--experiment", "must name an experiment", opts.experiment);
        }
        const all = await selectRunReader(ctx.io.env, store).list(
          opts.experiment === undefined ? {} : { experimentName: opts.experiment },
        );
        ctx.print(opts.json, all, () =>
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
      ctx.withStore(async (store) => {
        const r = await selectRunReader(ctx.io.env, store).get(runId);
        if (!r) throw new OptionError("run-id", "names no tracked run", runId);
        ctx.print(opts.json, r, () => `${JSON.stringify(r, null, 2)}\n`);
      }),
    );
}
