/**
 * Model artifacts on disk: `<artifactDir>/<name>/<version>/manifest.json` beside the model file
 * the manifest names. The registry stores the manifest's path relative to the artifact
 * directory and the manifest's SHA-256; the manifest carries the model file's SHA-256. So one
 * registry entry pins every byte the server loads, and the same relative URI resolves in a
 * checkout (`.mlops/artifacts`) and in the image (the fixed path the Dockerfile bakes in).
 *
 * Training owns producing models; writing them lives here, once, until training's registry
 * takes it over (`writeArtifact` is the whole surface to move).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import {
  type ArtifactRef,
  type ModelManifest,
  ModelManifestSchema,
  parseOrThrow,
} from "@mlops/contracts";

/** The manifest's file name in every artifact folder. */
export const MANIFEST_FILE = "manifest.json";

/** A verified artifact: its manifest and the model file's bytes. */
export interface LoadedArtifact {
  readonly manifest: ModelManifest;
  readonly model: Buffer;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Where `uri` (a path relative to `artifactDir`, or `file:` + path) lives on disk. */
export function artifactPath(artifactDir: string, uri: string): string {
  const path = uri.startsWith("file:") ? new URL(uri).pathname : uri;
  if (isAbsolute(path)) return path;
  const full = resolve(artifactDir, path);
  // A registry entry must not point outside the artifact directory.
  if (relative(resolve(artifactDir), full).split(sep)[0] === "..") {
    throw new Error(`artifact uri ${uri} leaves the artifact directory`);
  }
  return full;
}

/**
 * Writes the model file and its manifest under `<artifactDir>/<name>/<version>/`, atomically
 * (a temporary folder renamed into place), and returns the reference to register.
 */
export async function writeArtifact(
  artifactDir: string,
  fields: Omit<ModelManifest, "format_version" | "model_sha256">,
  model: Uint8Array,
): Promise<ArtifactRef> {
  const manifest = parseOrThrow(
    ModelManifestSchema,
    { format_version: 1, ...fields, model_sha256: sha256(model) },
    "model manifest",
  );
  const folder = join(artifactDir, manifest.name, String(manifest.version));
  const staging = `${folder}.tmp-${process.pid}-${Date.now()}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  try {
    await writeFile(join(staging, manifest.model_file), model);
    await writeFile(join(staging, MANIFEST_FILE), manifestBytes);
    await mkdir(dirname(folder), { recursive: true });
    await rm(folder, { recursive: true, force: true });
    await rename(staging, folder);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return {
    uri: [manifest.name, String(manifest.version), MANIFEST_FILE].join("/"),
    sha256: sha256(manifestBytes),
  };
}

/**
 * Reads an artifact and checks both checksums and the manifest's schema; every failure names
 * the file and what was wrong.
 */
export async function readArtifact(artifactDir: string, ref: ArtifactRef): Promise<LoadedArtifact> {
  const manifestPath = artifactPath(artifactDir, ref.uri);
  const manifestBytes = await readFile(manifestPath);
  if (sha256(manifestBytes) !== ref.sha256) {
    throw new Error(`${manifestPath}: SHA-256 differs from the registry's ${ref.sha256}`);
  }
  const manifest = parseOrThrow(
    ModelManifestSchema,
    JSON.parse(manifestBytes.toString("utf8")),
    manifestPath,
  );
  const modelPath = join(dirname(manifestPath), manifest.model_file);
  const model = await readFile(modelPath);
  if (sha256(model) !== manifest.model_sha256) {
    throw new Error(`${modelPath}: SHA-256 differs from the manifest's model_sha256`);
  }
  return { manifest, model };
}
