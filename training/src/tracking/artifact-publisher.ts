/**
 * Where a mirrored model version's files are for the registry it is mirrored to. The store records
 * the artifact where this process wrote it (a path relative to the repository, the one the serving
 * image bakes in); MLflow's and Azure ML's registries need a URI they can resolve themselves, so
 * the files are first put where the registry reaches them and that URI is registered instead.
 */
import { access, cp, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type ModelVersion, PLATFORM_ENV } from "@mlops/contracts";
import { makeDirectory } from "@mlops/contracts/files";
import { artifactPath, CARD_FILE, MANIFEST_FILE, readArtifact } from "@mlops/models";
import { OptionError } from "../errors.js";
import type { MlflowRestClient } from "./mlflow-client.js";

/** Makes a version's model folder reachable by a registry and returns the URI to register. */
export interface ArtifactPublisher {
  publish(version: ModelVersion): Promise<string>;
}

/** The folder holding a version's model file (and its card and manifest). */
const modelFolder = (v: ModelVersion) => dirname(artifactPath(v.artifact.uri));

/**
 * The files of a version's artifact, relative to its folder: the manifest, the model file it
 * names and the card when there is one, after the model file is checked against the registry's
 * SHA-256 (so nothing but a verified artifact leaves the machine, and never the folder's other
 * contents).
 */
async function artifactFiles(v: ModelVersion, folder: string): Promise<string[]> {
  const { manifest } = await readArtifact(v.artifact);
  const files = [MANIFEST_FILE, manifest.model_file];
  const card = join(folder, CARD_FILE);
  const hasCard = await access(card).then(
    () => true,
    () => false,
  );
  return hasCard ? [...files, CARD_FILE] : files;
}

/**
 * An MLflow tracking server's artifact store, through its artifact proxy: each file of the model
 * folder goes to `mlops-models/<name>/<version>/`, and the version registers
 * `mlflow-artifacts:/mlops-models/<name>/<version>`, which the server resolves against its
 * artifact root (MLflow docs, "Artifact Stores", proxied artifact access).
 */
export class MlflowArtifactStore implements ArtifactPublisher {
  constructor(private readonly client: MlflowRestClient) {}

  async publish(v: ModelVersion): Promise<string> {
    const folder = modelFolder(v);
    const path = `mlops-models/${v.name}/${v.version}`;
    for (const file of await artifactFiles(v, folder)) {
      await this.client.uploadArtifact(`${path}/${file}`, await readFile(join(folder, file)));
    }
    return `mlflow-artifacts:/${path}`;
  }
}

/** Env vars of {@link JobOutputArtifacts}, set on the job by `mlops train --target azureml`. */
export const JOB_OUTPUT_ENV = {
  /** The job's `model` output as Azure ML names it: `azureml://jobs/<job>/outputs/model/paths`. */
  uri: PLATFORM_ENV.modelOutputUri,
  /** Where that output is mounted on the node (`${{outputs.model}}`). */
  dir: PLATFORM_ENV.modelOutputDir,
} as const;

/**
 * An Azure ML job's `model` output, which holds the job's artifact root (`<run_id>/model/…`, the
 * layout training writes and the job copies there, azureml/jobs.ts): the model folder is copied to
 * its place in the mounted output, and the version registers
 * `azureml://jobs/<job>/outputs/model/paths/<run_id>/model`, the URI form Azure ML resolves for a
 * folder of a job's named output (azureml-examples, cli/jobs/basics/hello-model-as-output.yml,
 * "Possible Paths for Model"). Azure ML's MLflow endpoint has no artifact proxy to upload through.
 */
export class JobOutputArtifacts implements ArtifactPublisher {
  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  async publish(v: ModelVersion): Promise<string> {
    const uri = this.required(JOB_OUTPUT_ENV.uri);
    const dir = this.required(JOB_OUTPUT_ENV.dir);
    if (!/^azureml:\/\/jobs\/[^/]+\/outputs\/[^/]+\/paths$/.test(uri)) {
      throw new OptionError(
        JOB_OUTPUT_ENV.uri,
        "must be a job output URI: azureml://jobs/<job>/outputs/<output>/paths",
        uri,
      );
    }
    const folder = modelFolder(v);
    if (
      v.run_id === null ||
      basename(folder) !== "model" ||
      basename(dirname(folder)) !== v.run_id
    ) {
      throw new Error(
        `${v.name}@${v.version}: its artifact ${folder} is not a run's model folder (<root>/<run_id>/model), which the job's model output holds`,
      );
    }
    const place = `${v.run_id}/model`;
    // The folders first, made one by one (makeDirectory): cp's own recursive mkdir can spin.
    makeDirectory(join(dir, place));
    await cp(folder, join(dir, place), { recursive: true });
    return `${uri}/${place}`;
  }

  private required(name: string): string {
    const value = this.env[name]?.trim();
    if (!value) {
      throw new OptionError(
        name,
        "must be set to mirror a version into Azure ML's registry (an Azure ML job sets it: `mlops train --target azureml`)",
        this.env[name],
      );
    }
    return value;
  }
}
