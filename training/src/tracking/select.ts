import type { Store } from "@mlops/store";
import { OptionError } from "../errors.js";
import { MlflowTracker } from "./mlflow.js";
import { type RunTracker, TRACKING_URI_ENV } from "./tracker.js";

/**
 * The run tracker `MLFLOW_TRACKING_URI` picks, as MLflow users expect: unset (or empty) → the
 * embedded store's runs; an `http(s)://` URL → that MLflow tracking server. The model registry and
 * aliases stay in the store either way.
 */
export function selectTracker(
  env: Readonly<Record<string, string | undefined>>,
  store: Store,
): RunTracker {
  const uri = env[TRACKING_URI_ENV]?.trim() ?? "";
  if (uri === "") return store.runs;
  if (/^https?:\/\//.test(uri)) return new MlflowTracker(uri);
  throw new OptionError(
    TRACKING_URI_ENV,
    "must be unset (the embedded store) or an http(s) MLflow server URL",
    uri,
  );
}
