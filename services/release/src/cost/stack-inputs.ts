/**
 * What the cost estimate reads from a stack file (`Pulumi.<stack>.yaml`): the region, the AKS
 * tier and node pools, the Azure ML compute cluster, Cosmos DB throughput, log retention and the
 * GARCH service, read with the contracts schema (`EstateSizingSchema`) the Pulumi program
 * parses the same keys with, defaults included, each value decoded as the program reads it, once
 * the whole file has passed the program's checks (`readStackFile`).
 */
import { EstateSizingSchema } from "@mlops/contracts";
import { readStackFile, readStackKeys } from "../stack-config.js";
import type { CostInputs } from "./estimate.js";

/**
 * Reads `file` and the `Pulumi.yaml` beside it; errors name the key (`<project>:<key>`) and the
 * rule, or that the value is encrypted.
 */
export async function readCostInputs(file: string): Promise<CostInputs> {
  const stackFile = await readStackFile(file);
  return { stack: stackFile.stack, ...readStackKeys(stackFile, EstateSizingSchema, "mlops cost") };
}
