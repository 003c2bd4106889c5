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
