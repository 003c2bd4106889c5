/** A workspace target for tests that build job bodies without sending them anywhere. */
import { type AzureMlTarget, azureMlTargetFromEnv } from "../src/azureml/jobs.js";

const WS =
  "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";

/** A target as `azureMlTargetFromEnv` reads it from a complete environment. */
export const TEST_TARGET: AzureMlTarget = azureMlTargetFromEnv({
  AZURE_SUBSCRIPTION_ID: "s",
  AZUREML_RESOURCE_GROUP: "g",
  AZUREML_WORKSPACE: "w",
  AZUREML_COMPUTE: "c",
  AZUREML_ENVIRONMENT: `${WS}/environments/e/versions/1`,
  AZUREML_TRAINING_CLIENT_ID: "id",
  COSMOS_ENDPOINT: "https://cosmos.example:443/",
  MLFLOW_TRACKING_URI: `azureml://x.api.azureml.ms/mlflow/v1.0${WS}`,
});
