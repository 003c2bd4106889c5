import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RandomForestClassifier } from "ml-random-forest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CARD_FILE,
  forestParamsRecord,
  MANIFEST_FILE,
  MODEL_FILE,
  metricsRecord,
  readModelArtifact,
  writeModelArtifact,
} from "./artifact.js";
import { type Dataset, parseDataset } from "./dataset.js";
import { ArtifactError } from "./errors.js";
import { resolveForestOptions } from "./forest/options.js";
import type { ClassificationMetrics } from "./metrics.js";
import { type TrainOutcome, trainAndEvaluate } from "./train.js";

const identity = {
  name: "demo",
  version: 3,
  runId: "run-1",
  gitSha: "abc1234",
  created: new Date(0),
};

describe("model artifacts", () => {
  let root: string;
  let dataset: Dataset;
  let outcome: TrainOutcome;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "artifact-"));
    const lines = ["a,b,kind"];
    for (let i = 0; i < 40; i++) lines.push(`${i},${i % 3},${i < 20 ? "cat" : "dog"}`);
    dataset = parseDataset(new TextEncoder().encode(lines.join("\n")), { label: "kind" });
    outcome = await trainAndEvaluate(dataset, { nEstimators: 3 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("writes the model and a manifest that read back and load in ml-random-forest", async () => {
    const dir = join(root, "demo", "3");
    const written = await writeModelArtifact(dir, identity, dataset, outcome, "demo.csv");
    expect(written).toMatchObject({
      name: "demo",
      version: 3,
      kind: "classifier",
      feature_schema: {
        kind: "classifier",
        features: [{ name: "a" }, { name: "b" }],
        target: "kind",
        classes: ["cat", "dog"],
      },
      data_hash: dataset.sha256,
      run_id: "run-1",
      created: "1970-01-01T00:00:00.000Z",
      model_file: MODEL_FILE,
      seed: 42,
    });
    expect((await readdir(join(root, "demo"))).sort()).toEqual(["3"]);
    expect((await readdir(dir)).sort()).toEqual([CARD_FILE, MANIFEST_FILE, MODEL_FILE]);
    expect(await readFile(join(dir, CARD_FILE), "utf8")).toContain("# Model card: demo v3");
    const { manifest, model } = await readModelArtifact(dir);
    expect(manifest).toEqual(written);
    expect(RandomForestClassifier.load(model as never).predict([[35, 2]])).toEqual([1]);
  });

  it("never overwrites a version and leaves nothing half-written", async () => {
    const dir = join(root, "demo", "4");
    await writeModelArtifact(dir, identity, dataset, outcome, "demo.csv");
    await expect(writeModelArtifact(dir, identity, dataset, outcome, "demo.csv")).rejects.toThrow(
      ArtifactError,
    );
    expect((await readdir(join(root, "demo"))).sort()).toEqual(["3", "4"]);
  });

  it("refuses a model file that does not match its checksum", async () => {
    const dir = join(root, "demo", "5");
    await writeModelArtifact(dir, identity, dataset, outcome, "demo.csv");
    const text = await readFile(join(dir, MODEL_FILE), "utf8");
    await writeFile(join(dir, MODEL_FILE), text.replace('"seed":42', '"seed":43'));
    await expect(readModelArtifact(dir)).rejects.toThrow(
      `${MODEL_FILE} does not match model_sha256 in ${MANIFEST_FILE}`,
    );
  });

  it("rejects identities the contract does not allow", async () => {
    await expect(
      writeModelArtifact(
        join(root, "bad"),
        { ...identity, name: "no spaces" },
        dataset,
        outcome,
        "demo.csv",
      ),
    ).rejects.toThrow(/name/);
  });
});

describe("params and metrics records", () => {
  it("use scikit-learn's names and scalar values", () => {
    expect(
      forestParamsRecord(resolveForestOptions({ classWeight: { dog: 2 }, maxDepth: 5 })),
    ).toEqual({
      n_estimators: 100,
      max_features: "sqrt",
      max_depth: 5,
      min_samples_split: 2,
      min_samples_leaf: 1,
      bootstrap: true,
      class_weight: '{"dog":2}',
      seed: 42,
    });
  });

  it("leave out an undefined ROC AUC", () => {
    const metrics: ClassificationMetrics = {
      accuracy: 1,
      balancedAccuracy: 1,
      precision: 1,
      recall: 1,
      f1: 1,
      rocAuc: Number.NaN,
      logLoss: 0.1,
      brier: 0.01,
      confusionMatrix: [],
    };
    expect(Object.keys(metricsRecord(metrics))).not.toContain("roc_auc");
  });
});
