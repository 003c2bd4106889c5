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
 * run repository, or an MLflow tracking server (`MlflowRunReader`).
 */
export interface RunReader {
  /** The run, or null when the backend has none of that id. */
  get(runId: string): Promise<TrackedRun | null>;
  /** The runs of one experiment (of all without a name), oldest first. */
  list(filter?: { readonly experimentName?: string }): Promise<TrackedRun[]>;
}
