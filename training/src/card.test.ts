import { describe, expect, it } from "vitest";
import { classifierManifest } from "./artifact.js";
import { renderModelCard } from "./card.js";
import { parseDataset } from "./dataset.js";
import { trainAndEvaluate } from "./train.js";

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
    const card = renderModelCard({
      manifest,
      dataset,
      metrics: outcome.metrics,
      dataSource: "tiers.csv",
    });
    expect(card).toContain("# Model card: tiers v2");
    expect(card).toContain("| high | 16 | 4 |");
    expect(card).toContain("macro averages");
    const confusion = outcome.metrics.confusionMatrix;
    expect(card).toContain(`| true \\ predicted | high | low | mid |`);
    expect(card).toContain(`| low | ${confusion[1].join(" | ")} |`);
    expect(card).toContain(`| Accuracy | ${outcome.metrics.accuracy.toFixed(4)} |`);
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
});
