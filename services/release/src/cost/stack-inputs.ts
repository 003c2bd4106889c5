/**
 * What the cost estimate reads from a stack file (`Pulumi.<stack>.yaml`): the region, the AKS
 * tier and node pools, the Azure ML compute cluster, Cosmos DB throughput, log retention and the
 * GARCH service, read with the contracts schema (`EstateSizingSchema`) the Pulumi program
 * parses the same keys with, defaults included, once the whole file has passed the program's
 * checks (`readStackFile`).
 */
import { basename } from "node:path";
import { EstateSizingSchema, parseOrThrow } from "@mlops/contracts";
import { readStackFile } from "../stack-config.js";
import type { CostInputs } from "./estimate.js";

/** Reads `file` and the `Pulumi.yaml` beside it; errors name the key and the rule. */
export async function readCostInputs(file: string): Promise<CostInputs> {
  const { project, stack, config } = await readStackFile(file);
  // Every key but the region lives in the project's namespace.
  const raw = Object.fromEntries(
    Object.keys(EstateSizingSchema.shape).map((key) => [
      key,
      key === "location" ? config["azure-native:location"] : config[`${project}:${key}`],
    ]),
  );
  return { stack, ...parseOrThrow(EstateSizingSchema, raw, basename(file)) };
}
