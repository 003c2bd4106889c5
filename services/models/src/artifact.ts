/**
 * The model artifact: a directory holding the model file (`model.json`), `manifest.json` (the
 * contract's `ModelManifest`: identity, lineage, the model file's name and SHA-256) and, when the
 * trainer wrote one, the model card `card.md`. Training writes artifacts through this module and
 * serving reads them through it, so the layout and the checksum are defined once.
 *
 * A registry entry's `ArtifactRef` names the model file and its SHA-256. A relative URI is
 * relative to the working directory the trainer ran in (`.mlops/artifacts/<run>/model/model.json`
 * at the repository root, and the same path under the serving image's working directory, where
 * its Dockerfile bakes the artifacts in).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ArtifactRef,
  MANIFEST_FORMAT_VERSION,
  type ModelManifest,
  ModelManifestSchema,
  type ModelVersionInput,
  parseOrThrow,
} from "@mlops/contracts";
import { fileErrorReason, makeDirectory, readBoundedFile, utf8Text } from "@mlops/contracts/files";
import { ArtifactError } from "./errors.js";

/** File names inside an artifact directory. */
export const MODEL_FILE = "model.json";
export const MANIFEST_FILE = "manifest.json";
export const CARD_FILE = "card.md";

/**
 * Lower-case hex SHA-256 of a file's bytes, or of text as UTF-8: a manifest's `model_sha256`
 * (the model file) and `data_hash` (the data it was fitted on).
 */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The manifest's own fields: what {@link modelManifest} derives from the model is left out. */
export type ManifestFields = Omit<ModelManifest, "format_version" | "model_file" | "model_sha256">;

/**
 * The manifest of `model` (the model file's text, stored as `model.json`) in the current format
 * (2: a classifier names its `algorithm`), checked against the contract (a
 * `ContractValidationError` names the field that breaks it).
 */
export function modelManifest(fields: ManifestFields, model: string): ModelManifest {
  return parseOrThrow(
    ModelManifestSchema,
    {
      format_version: MANIFEST_FORMAT_VERSION,
      ...fields,
      model_file: MODEL_FILE,
      model_sha256: sha256(model),
    },
    "model manifest",
  );
}

/**
 * The registry's reference to the model file `model` will be in `dir`: a trainer registers it
 * before writing, because the manifest names the version the registry assigns.
 */
export function artifactRef(dir: string, model: string): ArtifactRef {
  return { uri: join(dir, MODEL_FILE), sha256: sha256(model) };
}

/**
 * The registry entry of the artifact `ref` names, whose manifest is `manifest`: the version
 * inherits the manifest's kind and lineage (run, data hash, git sha, params, metrics).
 */
export function versionInput(
  manifest: ModelManifest,
  ref: ArtifactRef,
  description = "",
): ModelVersionInput {
  return {
    name: manifest.name,
    kind: manifest.kind,
    run_id: manifest.run_id,
    data_hash: manifest.data_hash,
    git_sha: manifest.git_sha,
    params: manifest.params,
    metrics: manifest.metrics,
    artifact: ref,
    description,
  };
}

/** Where a registry URI (a path, absolute or relative to the working directory, or `file:`) is. */
export function artifactPath(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : resolve(uri);
}

/** Where the model card of the artifact `ref` names would be. */
export function cardPath(ref: ArtifactRef): string {
  return join(dirname(artifactPath(ref.uri)), CARD_FILE);
}

/** What an artifact directory holds. */
export interface ArtifactFiles {
  readonly manifest: ModelManifest;
  /** The model file's text, written under the manifest's `model_file`. */
  readonly model: string;
  /** The model card (Markdown), when there is one. */
  readonly card?: string;
}

/**
 * Writes an artifact into the new directory `dir`, staged in a temporary sibling that is renamed
 * into place, so `dir` either holds every file or does not exist. An existing `dir` is never
 * overwritten, and a model that does not match its manifest's checksum is never written (both
 * {@link ArtifactError}).
 */
export async function writeArtifact(dir: string, files: ArtifactFiles): Promise<void> {
  const { manifest, model, card } = files;
  if (sha256(model) !== manifest.model_sha256) {
    throw new ArtifactError(
      `${manifest.model_file} does not match model_sha256 in the manifest for ${dir}`,
    );
  }
  const contents: [string, string][] = [
    [manifest.model_file, model],
    [MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`],
  ];
  if (card !== undefined) contents.push([CARD_FILE, card]);
  makeDirectory(dirname(dir));
  const staging = join(dirname(dir), `.${basename(dir)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await mkdir(staging);
    for (const [name, text] of contents) await writeFile(join(staging, name), text);
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (isCode(error, "ENOTEMPTY") || isCode(error, "EEXIST")) {
      throw new ArtifactError(
        `artifact directory ${dir} already exists; versions are never overwritten`,
      );
    }
    throw error;
  }
}

/** A verified artifact: its manifest and the model file's text. */
export interface LoadedArtifact {
  readonly manifest: ModelManifest;
  readonly model: string;
}

/**
 * Reads the model file a registry entry names and the manifest beside it, checking the model's
 * SHA-256 against both and the manifest against the contract; failures name the file.
 */
export async function readArtifact(ref: ArtifactRef): Promise<LoadedArtifact> {
  const modelPath = artifactPath(ref.uri);
  const bytes = await readArtifactFile(modelPath);
  if (sha256(bytes) !== ref.sha256) {
    throw new ArtifactError(`${modelPath}: SHA-256 differs from the registry's ${ref.sha256}`);
  }
  const manifest = await readManifest(dirname(modelPath));
  if (manifest.model_file !== basename(modelPath) || manifest.model_sha256 !== ref.sha256) {
    throw new ArtifactError(
      `${join(dirname(modelPath), MANIFEST_FILE)}: describes another model file than ${modelPath}`,
    );
  }
  return { manifest, model: bytes.toString("utf8") };
}

/**
 * Reads the artifact in `dir`, registered or not: the manifest checked against the contract and
 * the model file against the manifest's checksum.
 */
export async function readArtifactDir(dir: string): Promise<LoadedArtifact> {
  const manifest = await readManifest(dir);
  const modelPath = join(dir, manifest.model_file);
  const bytes = await readArtifactFile(modelPath);
  if (sha256(bytes) !== manifest.model_sha256) {
    throw new ArtifactError(`${modelPath} does not match model_sha256 in ${MANIFEST_FILE}`);
  }
  return { manifest, model: bytes.toString("utf8") };
}

/** A file of an artifact; one that cannot be read is an ArtifactError naming it and why. */
async function readArtifactFile(path: string): Promise<Buffer> {
  try {
    return await readBoundedFile(path);
  } catch (error) {
    throw new ArtifactError(`${path}: ${fileErrorReason(error)}`);
  }
}

/** `dir`'s manifest, checked against the contract; a file that is not JSON is an ArtifactError. */
async function readManifest(dir: string): Promise<ModelManifest> {
  const file = join(dir, MANIFEST_FILE);
  const text = utf8Text(await readArtifactFile(file));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(`${file}: not JSON (${(error as Error).message})`);
  }
  return parseOrThrow(ModelManifestSchema, json, file);
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
