/**
 * The embedded store: one SQLite file (better-sqlite3, WAL), safe with several processes on one
 * machine — writers serialise on SQLite's lock and wait up to `busyTimeoutMs` for it, and every
 * read-check-write runs in an IMMEDIATE transaction so its check cannot go stale.
 *
 * This module only assembles: the connection (`connection.ts`), the optional prediction writer
 * thread and one module per repository.
 */
import type { Store } from "../store.js";
import { openSqlite, type SqliteStoreOptions } from "./connection.js";
import { sqliteExperiments } from "./experiments.js";
import { sqliteModels } from "./models.js";
import { sqliteOutcomes } from "./outcomes.js";
import { startPredictionWriter } from "./prediction-writer.js";
import { sqlitePredictions } from "./predictions.js";
import { sqliteRuns } from "./runs.js";

export type { SqliteStoreOptions } from "./connection.js";

/** Open (creating the file and its directory on first use) and migrate a SQLite store. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const core = openSqlite(path, options);
  const writer =
    options.predictionWriterThread && core.file !== ":memory:"
      ? startPredictionWriter(core.name, { path: core.file, busyTimeoutMs: options.busyTimeoutMs })
      : undefined;
  return {
    name: core.name,
    models: sqliteModels(core),
    runs: sqliteRuns(core),
    experiments: sqliteExperiments(core),
    predictions: sqlitePredictions(core, writer),
    outcomes: sqliteOutcomes(core),
    ping: async () => {
      core.guard(() => core.db.prepare("SELECT COUNT(*) FROM schema_version").get());
    },
    close: async () => {
      await writer?.close();
      core.db.close();
    },
  };
}
