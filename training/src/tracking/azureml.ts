import { OptionError } from "../errors.js";
import { TRACKING_URI_ENV } from "./tracker.js";

/**
 * The Entra ID scope Azure ML's MLflow endpoint accepts: tokens for Azure Resource Manager (its
 * MLflow REST samples request the `https://management.azure.com` resource).
 */
export const AZURE_ML_MLFLOW_SCOPE = "https://management.azure.com/.default";

/** A workspace's MLflow tracking URI, as `az ml workspace show --query mlflow_tracking_uri` prints it. */
const AZUREML_URI =
  /^azureml:\/\/([A-Za-z0-9.-]+(?::\d+)?)\/mlflow\/v1\.0\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/?#]+)\/?$/i;

/**
 * The https base URL of an `azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/…`
 * tracking URI: the same host and path over https, under which MLflow's REST API lives
 * (`…/api/2.0/mlflow/…`).
 */
export function azureMlTrackingUrl(uri: string): string {
  const match = AZUREML_URI.exec(uri.trim());
  if (!match) {
    throw new OptionError(
      TRACKING_URI_ENV,
      "must be a workspace tracking URI: azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<ws>",
      uri,
    );
  }
  return `https://${uri.trim().slice("azureml://".length).replace(/\/+$/, "")}`;
}
