/**
 * Azure Cosmos DB (NoSQL API) adapter. Containers and partition keys come from `COSMOS_LAYOUT`
 * in `@mlops/contracts` (the same values `infra/` provisions). Conditional writes use ETags
 * (If-Match) and id uniqueness within a partition; prediction logs are written with bulk
 * operations; every call retries 429/503 with the server's hint and runs under a deadline.
 *
 * This module only assembles: the connection (`connection.ts`), the document operations
 * (`documents.ts`) and one module per repository.
 */
import type { Store } from "../store.js";
import { type CosmosConfig, type CosmosStoreOptions, connectCosmos } from "./connection.js";
import { cosmosCore } from "./documents.js";
import { cosmosExperiments } from "./experiments.js";
import { cosmosModels } from "./models.js";
import { cosmosOutcomes } from "./outcomes.js";
import { cosmosPredictions } from "./predictions.js";
import { cosmosRuns } from "./runs.js";

export type { CosmosStoreOptions } from "./connection.js";
export type { RetryPolicy } from "./retry.js";

/** Connect, create the database and containers if missing, and return the store. */
export async function openCosmosStore(
  config: CosmosConfig,
  options: CosmosStoreOptions = {},
): Promise<Store> {
  const core = cosmosCore(await connectCosmos(config, options));
  return {
    name: core.name,
    models: cosmosModels(core),
    runs: cosmosRuns(core),
    experiments: cosmosExperiments(core),
    predictions: cosmosPredictions(core),
    outcomes: cosmosOutcomes(core),
    ping: async () => {
      await core.call("ping", (abortSignal) => core.database.read({ abortSignal }));
    },
    close: async () => {
      core.client.dispose();
    },
  };
}
