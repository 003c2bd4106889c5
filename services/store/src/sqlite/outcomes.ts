/**
 * Outcomes on SQLite: one row per request id (`INSERT OR IGNORE`, so the first outcome wins);
 * each new one stores its terms on its prediction, if that is logged.
 */
import type { OutcomeRecord } from "@mlops/contracts";
import type { OutcomeRepository, WriteResult } from "../store.js";
import { check } from "../validate.js";
import type { SqliteCore } from "./connection.js";
import { outcomeJoin } from "./outcome-join.js";

/** The outcome repository over `core`. */
export function sqliteOutcomes(core: SqliteCore): OutcomeRepository {
  const join = outcomeJoin(core);
  const insert = core.sql(
    "INSERT OR IGNORE INTO outcomes (request_id, label, value, ts) VALUES (?, ?, ?, ?)",
  );

  const insertMany = core.immediate((records: readonly OutcomeRecord[]): WriteResult => {
    let inserted = 0;
    for (const rec of records) {
      const numeric = typeof rec.outcome === "number";
      const changes = insert.run(
        rec.request_id,
        numeric ? null : rec.outcome,
        numeric ? rec.outcome : null,
        rec.timestamp,
      ).changes;
      if (changes === 0) continue;
      inserted++;
      const prediction = join.prediction(rec.request_id);
      if (prediction !== null) join.applyTerms(prediction, rec.outcome);
    }
    return { inserted };
  });

  return {
    insertMany: async (records) => insertMany(check.outcomes(records)),
    get: async (requestId) => core.guard(() => join.outcome(requestId)),
  };
}
