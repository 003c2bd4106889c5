import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDataset } from "./dataset.js";
import type { TrainingProgress } from "./forest/fit.js";
import { trainAndEvaluate } from "./train.js";

describe("trainAndEvaluate", () => {
  it("fits on the training part and scores the held-out part", async () => {
    // The demo's 10,000 rows without the split column: a seeded stratified split instead.
    const text = readFileSync(new URL("../data/demo-classification.csv", import.meta.url), "utf8")
      .split("\n")
      .slice(0, 3001)
      .map((line) => line.split(",").slice(0, 6).join(","))
      .join("\n");
    const dataset = parseDataset(new TextEncoder().encode(text), { label: "label", seed: 3 });
    expect(dataset.splitSource).toBe("stratified");
    const reports: TrainingProgress[] = [];
    const outcome = await trainAndEvaluate(
      dataset,
      { nEstimators: 20 },
      { progressEvery: 10, onProgress: (p) => reports.push(p) },
    );
    const { metrics } = outcome;
    expect(metrics.confusionMatrix.flat().reduce((a, b) => a + b)).toBe(dataset.split.test.length);
    expect(metrics.accuracy).toBeGreaterThan(0.9);
    expect(metrics.rocAuc).toBeGreaterThan(metrics.accuracy - 0.05);
    // Progress is scored on the held-out part, so the last report is the final accuracy.
    expect(reports.at(-1)).toEqual({
      treesDone: 20,
      nEstimators: 20,
      validationAccuracy: metrics.accuracy,
    });
  });
});
