import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { scratchDir } from "@mlops/contracts/test-support/hooks";
import { describe, expect, it } from "vitest";
import { readDemoFixture } from "../test-support/index.js";
import {
  MANIFEST_FILE,
  type ManifestFields,
  MODEL_FILE,
  modelManifest,
  readArtifactDir,
  writeArtifact,
} from "./artifact.js";
import { loadClassifierModel } from "./classifier.js";
import { ArtifactError } from "./errors.js";
import { loadForest } from "./forest/load.js";
import { gbdtModelFile } from "./gbdt/load.js";
import { GBDT_FORMAT_VERSION, type GbdtModelJSON } from "./gbdt/model.js";
import { BoostedTreesPredictor } from "./gbdt/packed.js";

const scratch = scratchDir("mlops-classifier-");

/** Three classes, two features, one round of three stumps. */
const model: GbdtModelJSON = {
  kind: "gbdt",
  formatVersion: GBDT_FORMAT_VERSION,
  objective: "multiclass_softmax",
  nFeatures: 2,
  nClasses: 3,
  baseScore: [0.1, -0.2, 0],
  trees: [0, 1, 0].map((feature, k) => ({
    feature: [feature, -1, -1],
    threshold: [k - 0.5, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    value: [0, 0.4 * k, -0.3],
  })),
};

const fields: ManifestFields = {
  name: "tiers",
  version: 4,
  kind: "classifier",
  algorithm: "gbdt",
  feature_schema: {
    kind: "classifier",
    features: [
      { name: "a", type: "number" },
      { name: "b", type: "number" },
    ],
    target: "tier",
    classes: ["low", "mid", "high"],
  },
  metrics: { accuracy: 0.5 },
  params: { algorithm: "gbdt", n_estimators: 1 },
  seed: 3,
  data_hash: "b".repeat(64),
  git_sha: null,
  run_id: "run-4",
  created: "2026-01-01T00:00:00.000Z",
};

/** Writes `text` as a gbdt artifact's model file (its manifest checksummed to match). */
async function gbdtArtifact(name: string, text: string) {
  const dir = join(scratch.path, name);
  await writeArtifact(dir, { manifest: modelManifest(fields, text), model: text });
  return readArtifactDir(dir);
}

describe("loadClassifierModel", () => {
  it("round-trips a boosted-trees artifact into the packed predictor", async () => {
    const loaded = loadClassifierModel(await gbdtArtifact("round-trip", gbdtModelFile(model)));
    expect(loaded).toMatchObject({
      algorithm: "gbdt",
      featureNames: ["a", "b"],
      classes: ["low", "mid", "high"],
    });
    const x = Float64Array.from([0, 0, 1, 1, -3, 2.5, Number.NaN, 0]);
    expect(loaded.predictor.classify(x)).toEqual(
      BoostedTreesPredictor.fromModel(model).classify(x),
    );
  });

  it("loads the demo's forest champion and boosted-trees challenger as training wrote them", async () => {
    const [champion, challenger] = await readDemoFixture();
    expect(loadClassifierModel(champion!).algorithm).toBe("forest");
    expect(loadClassifierModel(challenger!).algorithm).toBe("gbdt");
    expect(() => loadForest(challenger!)).toThrow(
      "model classifier@2 is a gbdt classifier, not a forest",
    );
  });

  it("reads a format 1 manifest, which predates the algorithm field, as a forest", async () => {
    const [champion] = await readDemoFixture();
    const { algorithm: _, ...v1 } = { ...champion!.manifest, format_version: 1 as const };
    const dir = join(scratch.path, "format-1");
    await writeArtifact(dir, { manifest: champion!.manifest, model: champion!.model });
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(v1));
    const loaded = loadClassifierModel(await readArtifactDir(dir));
    expect(loaded.algorithm).toBe("forest");
    expect(loaded.predictor.nClasses).toBe(2);
  });

  it.each<[string, unknown, string]>([
    [
      "another kind",
      { ...model, kind: "xgboost" },
      'kind must be "gbdt" for a gbdt manifest (got "xgboost")',
    ],
    [
      "a newer format",
      { ...model, formatVersion: GBDT_FORMAT_VERSION + 1 },
      `formatVersion must be ${GBDT_FORMAT_VERSION}, the gbdt format this reader knows (got ${GBDT_FORMAT_VERSION + 1}); a newer format needs a newer @mlops/models`,
    ],
    [
      "another shape than the manifest's",
      { ...model, nFeatures: 3 },
      "has 3 features and 3 classes, its manifest 2 and 3",
    ],
  ])("refuses a model file of %s, naming the model and the rule", async (name, json, rule) => {
    const artifact = await gbdtArtifact(name.replaceAll(" ", "-"), JSON.stringify(json));
    const load = () => loadClassifierModel(artifact);
    expect(load).toThrow(ArtifactError);
    expect(load).toThrow(`model tiers@4 (${MODEL_FILE}): ${rule}`);
  });

  it("refuses a manifest naming an algorithm it does not know", async () => {
    const dir = join(scratch.path, "unknown-algorithm");
    const text = gbdtModelFile(model);
    await writeArtifact(dir, { manifest: modelManifest(fields, text), model: text });
    const manifest = { ...modelManifest(fields, text), algorithm: "xgboost" };
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
    await expect(readArtifactDir(dir)).rejects.toThrow(
      'manifest.json is invalid: algorithm: must be "forest" or "gbdt"',
    );
  });
});
