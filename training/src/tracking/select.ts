import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import type { Store } from "@mlops/store";
import { OptionError } from "../errors.js";
import { JobOutputArtifacts, MlflowArtifactStore } from "./artifact-publisher.js";
import { AZURE_ML_MLFLOW_SCOPE, azureMlTrackingUrl } from "./azureml.js";
import { MlflowTracker } from "./mlflow.js";
import { BearerTokenSource, MlflowRestClient } from "./mlflow-client.js";
import { MlflowRegistryMirror, type RegistryMirror } from "./mlflow-registry.js";
import { MlflowRunReader } from "./mlflow-runs.js";
import { type RunReader, type RunTracker, storeRunReader, TRACKING_URI_ENV } from "./tracker.js";

/** Where runs are tracked and where registrations are mirrored. */
export interface Tracking {
  readonly tracker: RunTracker;
  /** null when runs stay in the embedded store, which is also the registry. */
  readonly mirror: RegistryMirror | null;
}

/** The MLflow server `MLFLOW_TRACKING_URI` names: its client and how its registry mirrors ours. */
interface TrackingServer {
  readonly client: MlflowRestClient;
  readonly mirror: RegistryMirror;
}

/**
 * The backend `MLFLOW_TRACKING_URI` picks, as MLflow users expect: unset (or empty) → the
 * embedded store's runs; an `http(s)://` URL → that MLflow tracking server, whose registry
 * mirrors ours with its alias API and gets the model files through its artifact proxy;
 * `azureml://…` → the Azure ML workspace's MLflow endpoint with an Entra ID bearer token from
 * `credential` (default: `DefaultAzureCredential`), whose registry mirrors aliases as tags and
 * gets the model files as the job's `model` output. Versions and aliases are decided in the store
 * either way.
 */
export function selectTracking(
  env: Readonly<Record<string, string | undefined>>,
  store: Store,
  credential?: TokenCredential,
): Tracking {
  const server = trackingServer(env, credential);
  return server === null
    ? { tracker: store.runs, mirror: null }
    : { tracker: new MlflowTracker(server.client), mirror: server.mirror };
}

/** Where the runs {@link selectTracking}'s tracker records are read back from. */
export function selectRunReader(
  env: Readonly<Record<string, string | undefined>>,
  store: Store,
  credential?: TokenCredential,
): RunReader {
  const server = trackingServer(env, credential);
  return server === null ? storeRunReader(store.runs) : new MlflowRunReader(server.client);
}

/** The server `MLFLOW_TRACKING_URI` names, null when unset (see {@link selectTracking}). */
function trackingServer(
  env: Readonly<Record<string, string | undefined>>,
  credential: TokenCredential | undefined,
): TrackingServer | null {
  const uri = env[TRACKING_URI_ENV]?.trim() ?? "";
  if (uri === "") return null;
  if (/^https?:\/\//.test(uri)) {
    const client = new MlflowRestClient(uri);
    return {
      client,
      mirror: new MlflowRegistryMirror(client, "api", new MlflowArtifactStore(client)),
    };
  }
  if (uri.startsWith("azureml://")) {
    const url = azureMlTrackingUrl(uri);
    const tokens = new BearerTokenSource(
      credential ?? new DefaultAzureCredential(),
      AZURE_ML_MLFLOW_SCOPE,
    );
    const client = new MlflowRestClient(url, tokens);
    return {
      client,
      mirror: new MlflowRegistryMirror(client, "tags", new JobOutputArtifacts(env)),
    };
  }
  throw new OptionError(
    TRACKING_URI_ENV,
    "must be unset (the embedded store), an http(s) MLflow server URL or an azureml:// workspace URI",
    uri,
  );
}
