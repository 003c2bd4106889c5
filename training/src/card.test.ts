import { describe, expect, it } from "vitest";
import { classifierManifest } from "./artifact.js";
import { renderModelCard } from "./card.js";
import { parseDataset } from "./dataset.js";
import { trainAndEvaluate, trainAndEvaluateGbdt } from "./train.js";

describe("renderModelCard", () => {
  it("shows data, metrics with the confusion matrix, params, lineage, use and limits", async () => {
    const lines = ["x,y,label"];
    for (let i = 0; i < 60; i++)
      lines.push(`${i},${(i * 7) % 5},${["low", "mid", "high"][Math.floor(i / 20)]}`);
    const dataset = parseDataset(new TextEncoder().encode(lines.join("\n")), { label: "label" });
    const outcome = await trainAndEvaluate(dataset, { nEstimators: 5 });
    const manifest = classifierManifest(
      { name: "tiers", version: 2, runId: "r-9", gitSha: null, created: new Date(0) },
      dataset,
      outcome,
    );
    const card = renderModelCard({ manifest, dataset, outcome, dataSource: "tiers.csv" });
    expect(card).toContain("# Model card: tiers v2");
    expect(card).toContain("| high | 16 | 4 |");
    expect(card).toContain("macro averages");
    const confusion = outcome.metrics.confusionMatrix;
    expect(card).toContain(`| true \\ predicted | high | low | mid |`);
    expect(card).toContain(`| low | ${confusion[1].join(" | ")} |`);
    expect(card).toContain(`| Accuracy | ${outcome.metrics.accuracy.toFixed(4)} |`);
    expect(card).toContain("A random-forest classifier (algorithm `forest`, 5 trees)");
    expect(card).toContain("| algorithm | forest |");
    expect(card).toContain("| n_estimators | 5 |");
    expect(card).toContain("Git commit: unknown");
    for (const section of [
      "## Data",
      "## Parameters",
      "## Lineage",
      "## Intended use",
      "## Limits",
    ]) {
      expect(card).toContain(section);
    }
  });

  it("names boosted trees, every hyperparameter and the rounds early stopping kept", async () => {
    const lines = ["x,y,label"];
    for (let i = 0; i < 200; i++)
      lines.push(`${i % 50},${(i * 7) % 11},${i % 50 < 25 ? "a" : "b"}`);
    const dataset = parseDataset(new TextEncoder().encode(lines.join("\n")), { label: "label" });
    const outcome = await trainAndEvaluateGbdt(dataset, {
      nEstimators: 200,
      learningRate: 0.5,
      minSamplesLeaf: 2,
      earlyStopping: true,
      nIterNoChange: 2,
    });
    expect(outcome.fit.stoppedBy).toBe("earlyStopping");
    const manifest = classifierManifest(
      { name: "ab", version: 1, runId: "r-1", gitSha: null, created: new Date(0) },
      dataset,
      outcome,
    );
    expect(manifest.algorithm).toBe("gbdt");
    const card = renderModelCard({ manifest, dataset, outcome, dataSource: "ab.csv" });
    const { nRounds, roundsTrained } = outcome.fit;
    expect(card).toContain(
      `A gradient-boosted trees classifier (algorithm \`gbdt\`, binary_logloss, ${nRounds} trees: early stopping kept ${nRounds} of the ${roundsTrained} rounds trained`,
    );
    expect(card).toContain("boosted-trees JSON of kind `gbdt`, format 1");
    for (const [key, value] of Object.entries(manifest.params)) {
      expect(card).toContain(`| ${key} | ${value} |`);
    }
    expect(card).toContain("| learning_rate | 0.5 |");
    expect(card).toContain("sigmoid (two classes) or softmax");
  });
});
