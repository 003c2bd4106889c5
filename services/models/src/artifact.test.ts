import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelVersionInputSchema } from "@mlops/contracts";
import { scratchDir } from "@mlops/contracts/test-support/hooks";
import { describe, expect, it } from "vitest";
import {
  artifactPath,
  artifactRef,
  CARD_FILE,
  cardPath,
  MANIFEST_FILE,
  type ManifestFields,
  MODEL_FILE,
  modelManifest,
  readArtifact,
  readArtifactDir,
  sha256,
  versionInput,
  writeArtifact,
} from "./artifact.js";
import { ArtifactError } from "./errors.js";

const scratch = scratchDir("mlops-artifacts-");

const fields: ManifestFields = {
  name: "m",
  version: 1,
  kind: "classifier",
  algorithm: "forest",
  feature_schema: {
    kind: "classifier",
    features: [{ name: "a", type: "number" }],
    target: "y",
    classes: ["0", "1"],
  },
  metrics: { accuracy: 0.9 },
  params: { n_estimators: 1 },
  seed: 1,
  data_hash: "a".repeat(64),
  git_sha: null,
  run_id: "run-1",
  created: "2026-01-01T00:00:00.000Z",
};

/** Writes an artifact of `model` into `<root>/<name>` and returns its directory and reference. */
async function written(name: string, model: string, card?: string) {
  const dir = join(scratch.path, name);
  const manifest = modelManifest(fields, model);
  await writeArtifact(dir, { manifest, model, ...(card === undefined ? {} : { card }) });
  return { dir, manifest, ref: artifactRef(dir, model) };
}

describe("modelManifest", () => {
  it("fills in the format version, the model file and its SHA-256", () => {
    const manifest = modelManifest(fields, '{"x":1}');
    expect(manifest).toMatchObject({
      format_version: 2,
      model_file: MODEL_FILE,
      model_sha256: sha256('{"x":1}'),
    });
    // The same checksum whether the file is hashed as text or as its bytes.
    expect(sha256(Buffer.from('{"x":1}'))).toBe(manifest.model_sha256);
  });

  it("refuses fields that break the contract, naming the field", () => {
    expect(() => modelManifest({ ...fields, run_id: "bad id" }, "{}")).toThrow(/run_id/);
    expect(() => modelManifest({ ...fields, name: "no spaces" }, "{}")).toThrow(/name/);
    const { algorithm: _, ...noAlgorithm } = fields;
    expect(() => modelManifest(noAlgorithm, "{}")).toThrow(
      "algorithm: is required for a classifier and absent otherwise (manifest format 2)",
    );
    expect(() => modelManifest({ ...fields, algorithm: "xgboost" as "gbdt" }, "{}")).toThrow(
      'algorithm: must be "forest" or "gbdt"',
    );
  });
});

describe("writeArtifact and its readers", () => {
  it("round-trips the model text, the manifest and the card in training's layout", async () => {
    const { dir, manifest, ref } = await written("round-trip", '{"x":1}', "# Model card: m v1\n");
    expect((await readdir(dir)).sort()).toEqual([CARD_FILE, MANIFEST_FILE, MODEL_FILE]);
    expect(ref.uri).toBe(join(dir, MODEL_FILE));
    expect(await readArtifact(ref)).toEqual({ manifest, model: '{"x":1}' });
    expect(await readArtifactDir(dir)).toEqual({ manifest, model: '{"x":1}' });
    expect(await readFile(cardPath(ref), "utf8")).toBe("# Model card: m v1\n");
  });

  it("never overwrites a version and leaves nothing half-written", async () => {
    await written("once", "{}");
    await expect(written("once", "[]")).rejects.toThrow(ArtifactError);
    expect(await readFile(join(scratch.path, "once", MODEL_FILE), "utf8")).toBe("{}");
    expect((await readdir(scratch.path)).filter((name) => name.includes("once"))).toEqual(["once"]);
  });

  it("refuses to write a model its manifest does not describe", async () => {
    const manifest = modelManifest(fields, "{}");
    await expect(
      writeArtifact(join(scratch.path, "mismatch"), { manifest, model: "[]" }),
    ).rejects.toThrow(/model.json does not match model_sha256/);
    expect(await readdir(scratch.path)).not.toContain("mismatch");
  });

  it("refuses a model whose bytes changed since the manifest was written", async () => {
    const { dir } = await written("tampered", '{"seed":42}');
    await writeFile(join(dir, MODEL_FILE), '{"seed":43}');
    await expect(readArtifactDir(dir)).rejects.toThrow(
      `${join(dir, MODEL_FILE)} does not match model_sha256 in ${MANIFEST_FILE}`,
    );
  });

  it("refuses a model the registry did not record, or a manifest of another model", async () => {
    const { ref } = await written("registered", "{}");
    await expect(readArtifact({ ...ref, sha256: "0".repeat(64) })).rejects.toThrow(
      /model.json: SHA-256 differs from the registry's/,
    );
    const other = await written("other", "[]");
    await writeFile(other.ref.uri, "{}");
    await expect(readArtifact({ uri: other.ref.uri, sha256: ref.sha256 })).rejects.toThrow(
      /manifest.json: describes another model file/,
    );
  });

  it("names a file of the artifact that is gone, and why", async () => {
    const { dir, ref } = await written("emptied", "{}");
    await rm(join(dir, MANIFEST_FILE));
    const noManifest = readArtifact(ref);
    await expect(noManifest).rejects.toThrow(ArtifactError);
    await expect(noManifest).rejects.toThrow(
      `${join(dir, MANIFEST_FILE)}: no such file or directory`,
    );
    await rm(dir, { recursive: true });
    await expect(readArtifact(ref)).rejects.toThrow(
      `${join(dir, MODEL_FILE)}: no such file or directory`,
    );
  });

  it("names the manifest that is not JSON or breaks the contract", async () => {
    const dir = join(scratch.path, "broken");
    await mkdir(dir);
    await writeFile(join(dir, MANIFEST_FILE), "{");
    await expect(readArtifactDir(dir)).rejects.toThrow(`${join(dir, MANIFEST_FILE)}: not JSON`);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...fields, format_version: 3 }));
    await expect(readArtifactDir(dir)).rejects.toThrow(
      /manifest.json is invalid: format_version: must be a manifest format this reader knows \(1 or 2\), got 3/,
    );
  });
});

describe("versionInput", () => {
  it("registers the artifact with the manifest's kind and lineage", () => {
    const manifest = modelManifest({ ...fields, git_sha: "abc1234" }, "{}");
    const ref = artifactRef("/srv/m", "{}");
    expect(ModelVersionInputSchema.parse(versionInput(manifest, ref, "why"))).toEqual({
      name: "m",
      kind: "classifier",
      run_id: "run-1",
      data_hash: "a".repeat(64),
      git_sha: "abc1234",
      params: { n_estimators: 1 },
      metrics: { accuracy: 0.9 },
      artifact: { uri: "/srv/m/model.json", sha256: sha256("{}") },
      description: "why",
    });
  });
});

describe("artifactPath", () => {
  it("resolves relative URIs against the working directory, as training writes them", () => {
    expect(artifactPath(".mlops/artifacts/r/model/model.json")).toBe(
      join(process.cwd(), ".mlops/artifacts/r/model/model.json"),
    );
    expect(artifactPath("file:///srv/models/model.json")).toBe("/srv/models/model.json");
    expect(cardPath({ uri: "file:///srv/models/model.json", sha256: "0".repeat(64) })).toBe(
      "/srv/models/card.md",
    );
  });
});
