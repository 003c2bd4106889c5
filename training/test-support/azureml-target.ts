/** A workspace target for tests that build job bodies without sending them anywhere. */
import { type AzureMlTarget, azureMlTargetFromEnv } from "../src/azureml/jobs.js";

const WS =
  "/subscriptions/00000000-0000-0000-0000-0000000000c1/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/wsp";

/** A target as `azureMlTargetFromEnv` reads it from a complete environment. */
export const TEST_TARGET: AzureMlTarget = azureMlTargetFromEnv({
  AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-0000000000c1",
  AZUREML_RESOURCE_GROUP: "g",
  AZUREML_WORKSPACE: "wsp",
  AZUREML_COMPUTE: "cpu",
  AZUREML_ENVIRONMENT: `${WS}/environments/e/versions/1`,
  AZUREML_TRAINING_CLIENT_ID: "id",
  COSMOS_ENDPOINT: "https://cosmos.example:443/",
  MLFLOW_TRACKING_URI: `azureml://x.api.azureml.ms/mlflow/v1.0${WS}`,
});
