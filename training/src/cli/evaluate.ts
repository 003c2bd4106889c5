/** `mlops evaluate`: score a registered model version on a CSV. */
import type { Command } from "commander";
import { OptionError } from "../errors.js";
import { runEvaluateJob } from "../jobs/evaluate.js";
import type { CliContext } from "./context.js";
import { dataFlag } from "./flags.js";

/** Adds `mlops evaluate`. */
export function registerEvaluateCommand(program: Command, ctx: CliContext): void {
  program
    .command("evaluate")
    .description("Score a registered model version on a CSV (columns matched by name).")
    .requiredOption("--model <ref>", "NAME, NAME@VERSION or NAME@ALIAS")
    .requiredOption(
      "--data <file>",
      "CSV with the model's feature columns and the label column",
      dataFlag,
    )
    .requiredOption("--label <column>", "the label column")
    .option("--rows <which>", "all rows, or the held-out part (test)", "all")
    .option("--json", "print one JSON object instead of text")
    .action((opts: { model: string; data: string; label: string; rows: string; json?: boolean }) =>
      ctx.withStore(async (store) => {
        if (opts.rows !== "all" && opts.rows !== "test") {
          throw new OptionError("--rows", 'must be "all" or "test"', opts.rows);
        }
        const result = await runEvaluateJob({ ...opts, rows: opts.rows, store });
        ctx.print(
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
}
