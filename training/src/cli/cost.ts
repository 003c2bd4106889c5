/**
 * `mlops cost`: a monthly estimate of a stack's estate (`@mlops/release`'s `estimateCost`) from
 * its config and the pinned price table, at the autoscalers' lower and upper bounds, as a table
 * or one JSON object. Every row names its price and the price's source and date.
 */
import { costOptions, estimateCost, formatCostEstimate, readCostInputs } from "@mlops/release";
import type { Command } from "commander";
import type { CliContext } from "./context.js";

interface CostFlags {
  stack?: string;
  stackConfig?: string;
  logGbPerDay: string;
  storageGb: string;
  serverlessMillionRu: string;
  json?: boolean;
}

/** Adds `cost` to the `mlops` program. */
export function registerCostCommand(program: Command, ctx: CliContext): void {
  program
    .command("cost")
    .description(
      "Estimate a stack's monthly Azure cost from its config and the pinned price table (node pools and autoscaler bounds, Cosmos DB, Log Analytics, registry, ML compute, storage, the GARCH service).",
    )
    .option("--stack <name>", "the stack: reads Pulumi.<name>.yaml in this directory")
    .option("--stack-config <file>", "a stack file (Pulumi.<stack>.yaml) anywhere")
    .option("--log-gb-per-day <gb>", "assumed Log Analytics ingestion per day", "2")
    .option("--storage-gb <gb>", "assumed blob storage of the ML workspace", "100")
    .option(
      "--serverless-million-ru <n>",
      "assumed request units a month of a serverless Cosmos DB account, millions",
      "50",
    )
    .option("--json", "print the estimate as one JSON object")
    .action(async (opts: CostFlags) => {
      const { file, assumptions } = costOptions(
        {
          "--stack": opts.stack,
          "--stack-config": opts.stackConfig,
          "--log-gb-per-day": opts.logGbPerDay,
          "--storage-gb": opts.storageGb,
          "--serverless-million-ru": opts.serverlessMillionRu,
        },
        process.cwd(),
      );
      const estimate = estimateCost(await readCostInputs(file), assumptions);
      ctx.print(opts.json, estimate, () => formatCostEstimate(estimate));
    });
}
