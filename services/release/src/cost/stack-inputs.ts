/**
 * What the cost estimate reads from a stack file (`Pulumi.<stack>.yaml`): the region, the AKS
 * tier and node pools, the Azure ML compute cluster, Cosmos DB throughput, log retention and the
 * GARCH service, validated with the contracts schemas the Pulumi program parses the same keys
 * with, defaults included.
 */
import { basename } from "node:path";
import {
  AksTierSchema,
  CosmosCapacitySchema,
  DEFAULT_COSMOS_CAPACITY,
  GARCH_CONFIG_KEY,
  GarchServiceConfigSchema,
  LogRetentionDaysSchema,
  MlComputeSchema,
  NodePoolSchema,
  parseOrThrow,
} from "@mlops/contracts";
import { z } from "zod";
import { readStackFile } from "../stack-config.js";
import type { CostInputs } from "./estimate.js";

const CostConfigSchema = z.object({
  location: z.string().min(1),
  aks: z.object({ skuTier: AksTierSchema, systemPool: NodePoolSchema, userPool: NodePoolSchema }),
  ml: MlComputeSchema,
  cosmos: CosmosCapacitySchema.prefault(DEFAULT_COSMOS_CAPACITY),
  logRetentionDays: LogRetentionDaysSchema,
  garch: GarchServiceConfigSchema.optional(),
});

/** Reads `file` and the `Pulumi.yaml` beside it; errors name the key and the rule. */
export async function readCostInputs(file: string): Promise<CostInputs> {
  const { project, stack, config } = await readStackFile(file);
  const own = (key: string) => config[`${project}:${key}`];
  const parsed = parseOrThrow(
    CostConfigSchema,
    {
      location: config["azure-native:location"],
      aks: own("aks"),
      ml: own("ml"),
      cosmos: own("cosmos"),
      logRetentionDays: own("logRetentionDays"),
      garch: own(GARCH_CONFIG_KEY),
    },
    basename(file),
  );
  return { stack, ...parsed };
}
