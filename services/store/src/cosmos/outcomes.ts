/**
 * Outcomes on Cosmos DB: one document per request id (the partition key), bulk-created so the
 * first outcome of a request wins; each new one is folded into its prediction, if logged.
 */
import type { ItemDefinition } from "@azure/cosmos";
import { eachLimited, type OutcomeRecord } from "@mlops/contracts";
import type { OutcomeRepository, WriteResult } from "../store.js";
import { check } from "../validate.js";
import type { CosmosCore } from "./documents.js";
import { outcomeJoiner } from "./outcome-join.js";

/** The outcome repository over `core`. */
export function cosmosOutcomes(core: CosmosCore): OutcomeRepository {
  const { read, bulkCreate, concurrency } = core;
  const container = core.containers.outcomes;
  const join = outcomeJoiner(core);

  return {
    insertMany: async (records): Promise<WriteResult> => {
      const parsed = check.outcomes(records);
      const docs = parsed.map((o) => ({ ...o, id: o.request_id }));
      const created = await bulkCreate(container, docs, "write outcomes");
      await eachLimited(
        parsed.filter((o) => created.has(o.request_id)),
        concurrency,
        join,
      );
      return { inserted: created.size };
    },
    get: async (requestId) => {
      const found = await read<OutcomeRecord & ItemDefinition>(
        container,
        requestId,
        requestId,
        "read outcome",
      );
      if (found === null) return null;
      return {
        request_id: found.doc.request_id,
        outcome: found.doc.outcome,
        timestamp: found.doc.timestamp,
      };
    },
  };
}
