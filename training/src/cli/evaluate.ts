/** `mlops evaluate`: score a registered model version on a CSV. */
import type { Command } from "commander";
import { OptionError } from "../errors.js";
import { type EvaluateJobOutput, runEvaluateJob } from "../jobs/evaluate.js";
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
      "CSV with the model's feature columns and the label column (other columns are ignored, and named)",
      dataFlag,
    )
    .requiredOption("--label <column>", "the label column")
    .option(
      "--rows <which>",
      "all rows (of any classes), or the rows the version held out of its training file (test: the split column's, else the split of the seed it records)",
      "all",
    )
    .option("--json", "print one JSON object instead of text")
    .action((opts: { model: string; data: string; label: string; rows: string; json?: boolean }) =>
      ctx.withStore(async (store) => {
        if (opts.rows !== "all" && opts.rows !== "test") {
          throw new OptionError("--rows", 'must be "all" or "test"', opts.rows);
        }
        const result = await runEvaluateJob({ ...opts, rows: opts.rows, store });
        ctx.print(opts.json, result, () => evaluationText(result));
      }),
    );
}

/**
 * The report as text: the metrics, those not defined with the reason, each class's, then the
 * file's columns the model does not take (a file of more columns may be the wrong file).
 */
function evaluationText(result: EvaluateJobOutput): string {
  const ratio = (v: number | null) => (v === null ? "not defined" : v.toFixed(4));
  const metrics = Object.entries(result.metrics)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(", ");
  return [
    `${result.model.name} v${result.model.version} on ${result.rows} rows: ${metrics}`,
    ...Object.entries(result.not_defined).map(([k, reason]) => `  ${k} not defined: ${reason}`),
    ...result.per_class.map(
      (c) =>
        `  class ${c.class}: ${c.support} rows, precision ${ratio(c.precision)}, recall ${ratio(c.recall)}`,
    ),
    ...(result.ignored_columns.length === 0
      ? []
      : [
          `note: ${result.ignored_columns.length} column(s) of the file are not features of the model and were ignored: ${result.ignored_columns.join(", ")}`,
        ]),
    "",
  ].join("\n");
}
