/**
 * Reading model artifacts the way training writes them (`@mlops/training`, `mlops train`): a
 * directory holding the model file and `manifest.json` (and `card.md`). The registry's
 * `ArtifactRef` names the model file and its SHA-256; the manifest beside it names the version
 * and carries the same checksum. Relative URIs are relative to the working directory, where
 * training wrote them (`.mlops/artifacts/<run>/model/model.json` at the repository root, and the
 * same path under the image's working directory, where the Dockerfile bakes them in).
 *
 * Writing a GARCH artifact lives here until `@mlops/training` exports its GARCH job
 * (`runGarchJob`); classifiers are written by training's `runTrainJob`.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ArtifactRef,
  type ModelManifest,
  ModelManifestSchema,
  parseOrThrow,
} from "@mlops/contracts";
import { MANIFEST_FILE, MODEL_FILE } from "@mlops/training";

/** A verified artifact: its manifest and the model file's bytes. */
export interface LoadedArtifact {
  readonly manifest: ModelManifest;
  readonly model: Buffer;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Where a registry URI (a path, absolute or relative to the working directory, or `file:`) is. */
export function artifactPath(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : resolve(uri);
}

/**
 * Writes `model` and its manifest into `<artifactRoot>/<run_id>/model/` (training's layout),
 * atomically, and returns the reference to register.
 */
export async function writeArtifact(
  artifactRoot: string,
  fields: Omit<ModelManifest, "format_version" | "model_sha256" | "model_file">,
  model: Uint8Array,
): Promise<ArtifactRef> {
  const manifest = parseOrThrow(
    ModelManifestSchema,
    { format_version: 1, ...fields, model_file: MODEL_FILE, model_sha256: sha256(model) },
    "model manifest",
  );
  const dir = join(artifactRoot, manifest.run_id, "model");
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(join(staging, MODEL_FILE), model);
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { uri: join(dir, MODEL_FILE), sha256: manifest.model_sha256 };
}

/**
 * Reads the model file a registry entry names and the manifest beside it, checking the model's
 * SHA-256 against both and the manifest against the contract; failures name the file.
 */
export async function readArtifact(ref: ArtifactRef): Promise<LoadedArtifact> {
  const modelPath = artifactPath(ref.uri);
  const model = await readFile(modelPath);
  if (sha256(model) !== ref.sha256) {
    throw new Error(`${modelPath}: SHA-256 differs from the registry's ${ref.sha256}`);
  }
  const manifestPath = join(dirname(modelPath), MANIFEST_FILE);
  const manifest = parseOrThrow(
    ModelManifestSchema,
    JSON.parse(await readFile(manifestPath, "utf8")),
    manifestPath,
  );
  if (manifest.model_file !== basename(modelPath) || manifest.model_sha256 !== ref.sha256) {
    throw new Error(`${manifestPath}: describes another model file than ${modelPath}`);
  }
  return { manifest, model };
}
