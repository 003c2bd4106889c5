import type { TrackedRun } from "@mlops/contracts";
import type { RunRepository } from "@mlops/store";

/**
 * What training and sweeps record about runs. The embedded store's run repository is one; an
 * MLflow tracking server ({@link MlflowTracker}) is the other. `create` returns the run as the
 * backend knows it: MLflow assigns its own run ids, so callers use the returned `run_id`.
 */
export type RunTracker = Pick<
  RunRepository,
  "create" | "logMetrics" | "setTags" | "addArtifacts" | "finish"
>;

/** The env var MLflow users set to pick a tracking backend. */
export const TRACKING_URI_ENV = "MLFLOW_TRACKING_URI";

/**
 * What `mlops runs list|show` read from the backend the tracker writes to: the embedded store's
 * run repository ({@link storeRunReader}), or an MLflow tracking server (`MlflowRunReader`).
 */
export interface RunReader {
  /** The run, or null when the backend has none of that id. */
  get(runId: string): Promise<TrackedRun | null>;
  /** The runs of one experiment (of all without a name), oldest first. */
  list(filter?: { readonly experimentName?: string }): Promise<TrackedRun[]>;
  /**
   * Every experiment's name, the most recent first. An MLflow experiment exists from its creation,
   * runs or none, and comes in the server's order (MLflow's own: newest created first); the
   * store's exist only through their runs, by their newest run.
   */
  experimentNames(): Promise<string[]>;
}

/**
 * The store's runs as a {@link RunReader}. The store keeps no experiments apart from runs (a run
 * names its experiment, and no run is deleted), so its experiments are its runs' experiments.
 */
export function storeRunReader(runs: RunRepository): RunReader {
  return {
    get: (runId) => runs.get(runId),
    list: (filter) => runs.list(filter),
    // Oldest first, so from the end each experiment comes at its newest run.
    experimentNames: async () => [
      ...new Set((await runs.list()).toReversed().map((r) => r.experiment_name)),
    ],
  };
}
