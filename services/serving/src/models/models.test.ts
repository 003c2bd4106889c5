import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "@mlops/store";
import { loadDataset, runTrainJob, takeRows, trainAndEvaluate } from "@mlops/training";
import { RandomForestClassifier } from "ml-random-forest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DATA } from "../bootstrap.js";
import { artifactPath, readArtifact, writeArtifact } from "./artifacts.js";
import { loadClassifier } from "./classifier.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-artifacts-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const manifestFields = {
  name: "m",
  version: 1,
  kind: "classifier" as const,
  feature_schema: {
    kind: "classifier" as const,
    features: [{ name: "a", type: "number" as const }],
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

describe("artifacts", () => {
  it("round-trips the model bytes in training's layout", async () => {
    const ref = await writeArtifact(dir, manifestFields, Buffer.from('{"x":1}'));
    expect(ref.uri).toBe(join(dir, "run-1", "model", "model.json"));
    const loaded = await readArtifact(ref);
    expect(loaded.model.toString()).toBe('{"x":1}');
    expect(loaded.manifest).toMatchObject({ name: "m", version: 1, format_version: 1 });
  });

  it("reads what training's runTrainJob writes and registers", async () => {
    const store = await openStore({ kind: "sqlite", path: join(dir, "registry.db") });
    try {
      const job = await runTrainJob({
        data: DEMO_DATA.classification,
        label: "label",
        name: "rf-job",
        trees: 3,
        store,
        artifactRoot: join(dir, "runs"),
        gitSha: null,
      });
      const version = await store.models.get("rf-job", job.model.version);
      const served = loadClassifier(await readArtifact(version!.artifact));
      expect(served).toMatchObject({ name: "rf-job", version: job.model.version });
      expect(served.classify([0, 0, 0, 0, 0]).prediction).toMatch(/^[01]$/);
    } finally {
      await store.close();
    }
  });

  it("refuses a model whose bytes changed, or a manifest of another model", async () => {
    const ref = await writeArtifact(dir, { ...manifestFields, run_id: "run-2" }, Buffer.from("{}"));
    await expect(readArtifact({ ...ref, sha256: "0".repeat(64) })).rejects.toThrow(
      /model.json: SHA-256 differs from the registry's/,
    );
    const other = await writeArtifact(
      dir,
      { ...manifestFields, run_id: "run-3" },
      Buffer.from("[]"),
    );
    await writeFile(other.uri, "{}");
    await expect(readArtifact({ uri: other.uri, sha256: ref.sha256 })).rejects.toThrow(
      /manifest.json: describes another model file/,
    );
  });

  it("refuses a manifest that breaks the contract, naming the field", async () => {
    await expect(
      writeArtifact(dir, { ...manifestFields, run_id: "bad id" }, Buffer.from("{}")),
    ).rejects.toThrow(/run_id/);
  });

  it("resolves relative URIs against the working directory, as training writes them", () => {
    expect(artifactPath(".mlops/artifacts/r/model/model.json")).toBe(
      join(process.cwd(), ".mlops/artifacts/r/model/model.json"),
    );
    expect(artifactPath("file:///srv/models/model.json")).toBe("/srv/models/model.json");
  });
});

describe("served classifier", () => {
  it("answers exactly as ml-random-forest does on the model training saved", async () => {
    const dataset = await loadDataset(DEMO_DATA.classification, { label: "label" });
    const outcome = await trainAndEvaluate(dataset, { nEstimators: 15, seed: 3 });
    const ref = await writeArtifact(
      dir,
      {
        ...manifestFields,
        name: "rf",
        run_id: "run-rf",
        feature_schema: {
          kind: "classifier",
          features: dataset.featureNames.map((name) => ({ name, type: "number" as const })),
          target: "label",
          classes: [...dataset.classNames],
        },
      },
      Buffer.from(JSON.stringify(outcome.fit.model)),
    );
    const served = loadClassifier(await readArtifact(ref));
    const saved = JSON.parse(await readFile(ref.uri, "utf8"));
    const reference = RandomForestClassifier.load(saved);
    const test = takeRows(dataset, dataset.split.test.subarray(0, 200));
    const nf = dataset.featureNames.length;
    const rows = Array.from({ length: 200 }, (_, i) =>
      Array.from(test.x.subarray(i * nf, (i + 1) * nf)),
    );
    const expected = reference.predict(rows);
    // Probabilities are the share of the library's own per-tree votes (its predictProbability
    // drops the first tree's vote; see ForestPredictor.predictProbabilities).
    const perTree = reference.predictionValues(rows).to2DArray() as number[][];
    const batch = served.classifyBatch(rows);
    rows.forEach((r, i) => {
      const one = served.classify(r);
      expect(one).toEqual(batch[i]);
      expect(one.prediction).toBe(dataset.classNames[expected[i]]);
      const share = perTree[i]!.filter((v) => v === 1).length / perTree[i]!.length;
      expect(one.probabilities["1"]).toBeCloseTo(share, 12);
    });
  });
});
