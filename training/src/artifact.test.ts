import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CARD_FILE, MANIFEST_FILE, MODEL_FILE, readArtifactDir } from "@mlops/models";
import { RandomForestClassifier } from "ml-random-forest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forestParamsRecord, metricsRecord, writeModelArtifact } from "./artifact.js";
import { type Dataset, parseDataset } from "./dataset.js";
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
    const { manifest, model } = await readArtifactDir(dir);
    expect(manifest).toEqual(written);
    expect(RandomForestClassifier.load(JSON.parse(model)).predict([[35, 2]])).toEqual([1]);
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
