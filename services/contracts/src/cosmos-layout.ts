/**
 * The Cosmos DB layout `@mlops/store` reads and writes and `infra/` provisions: one database,
 * five containers, their partition key paths and default TTLs. The partition keys follow the
 * access patterns (the reasons sit beside each container).
 */

/** One container: its id, partition key path and default TTL in seconds (absent: no expiry). */
export interface CosmosContainerSpec {
  readonly id: string;
  readonly partitionKeyPath: string;
  readonly defaultTtlSeconds?: number;
}

/** Prediction logs and outcomes expire after 90 days unless a deployment overrides it. */
export const PREDICTION_TTL_SECONDS = 90 * 24 * 60 * 60;

/** The database and containers. Names are stable: changing one orphans existing data. */
export const COSMOS_LAYOUT = {
  defaultDatabase: "mlops",
  containers: {
    /**
     * Versions, aliases and the version counter of a model share the partition `/name`: every
     * registry operation touches one model, so it is a single-partition query or point read, and
     * the counter and alias documents are small documents updated with ETag preconditions.
     */
    models: { id: "models", partitionKeyPath: "/name" },
    /** Runs are read and updated by id (point reads by `/run_id`); listing is rare and small. */
    runs: { id: "runs", partitionKeyPath: "/run_id" },
    /**
     * An experiment's definition and its append-only decisions share `/experiment_id`, so the
     * decision history is a single-partition query.
     */
    experiments: { id: "experiments", partitionKeyPath: "/experiment_id" },
    /**
     * Prediction logs are the write-heavy container: `/request_id` spreads writes evenly over
     * physical partitions (an `/experiment_id` key would put all traffic of an experiment on one
     * hot partition capped at 20 GB), and makes the outcome join a point read/patch by request id.
     * The per-variant aggregates are cross-partition COUNT/SUM queries filtered on experiment,
     * variant and time, one per variant (GROUP BY is avoided so the same query runs on the
     * emulator), which the analysis runs rarely compared to writes.
     */
    predictions: {
      id: "predictions",
      partitionKeyPath: "/request_id",
      defaultTtlSeconds: PREDICTION_TTL_SECONDS,
    },
    /** Outcomes are written and looked up by request id, like the predictions they complete. */
    outcomes: {
      id: "outcomes",
      partitionKeyPath: "/request_id",
      defaultTtlSeconds: PREDICTION_TTL_SECONDS,
    },
  },
} as const satisfies {
  defaultDatabase: string;
  containers: Record<string, CosmosContainerSpec>;
};

/** The logical container names. */
export type CosmosContainerName = keyof typeof COSMOS_LAYOUT.containers;
