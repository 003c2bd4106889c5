import type { Command } from "commander";
import { runGateJob } from "../jobs/gate.js";
import { PROMOTION_METRICS } from "../jobs/promotion.js";
import { selectTracking } from "../tracking/select.js";
import type { CliContext } from "./context.js";
import { checkGateMetric, dataFlag, number, seedFlag } from "./flags.js";

interface GateFlags {
  model: string;
  data: string;
  label: string;
  seed?: number;
  metric: string;
  promotionThreshold: number;
  json?: boolean;
}

/**
 * Adds `mlops gate`: `--auto-promote` for a version trained elsewhere (an Azure ML job). Exits 0
 * whether or not the version passes; the decision is in the output (`promotion.promoted`).
 */
export function registerGateCommand(program: Command, ctx: CliContext): void {
  program
    .command("gate")
    .description(
      "Score a registered version on its training file's held-out rows and make it `challenger` if it clears the threshold and is not worse than the champion (what --auto-promote does after a local train).",
    )
    .requiredOption("--model <ref>", "the candidate: NAME@VERSION (or NAME@ALIAS, NAME)")
    .requiredOption("--data <file>", "the CSV it was trained on (the same held-out rows)", dataFlag)
    .requiredOption("--label <column>", "the label column")
    .option(
      "--seed <s>",
      "check: the seed the version was trained with (its recorded seed decides its held-out rows; another is refused)",
      seedFlag,
    )
    .option("--metric <m>", `metric of the gate (${PROMOTION_METRICS.join(", ")})`, "accuracy")
    .requiredOption(
      "--promotion-threshold <x>",
      "the gate: --metric must reach this value",
      number("--promotion-threshold"),
    )
    .option("--json", "print one JSON object (model, value, promotion) instead of text")
    .action((opts: GateFlags) =>
      ctx.withStore(async (store) => {
        const metric = checkGateMetric(opts.metric);
        const result = await runGateJob({
          model: opts.model,
          data: opts.data,
          label: opts.label,
          seed: opts.seed,
          gate: { metric, threshold: opts.promotionThreshold },
          store,
          mirror: selectTracking(ctx.io.env, store).mirror,
        });
        ctx.print(
          opts.json,
          result,
          () =>
            `${result.model.name} v${result.model.version}: ${opts.metric} ${result.value.toFixed(4)} on the held-out rows\n` +
            `${result.promotion.promoted ? "promoted to challenger" : "not promoted"}: ${result.promotion.reason}\n`,
        );
      }),
    );
}
