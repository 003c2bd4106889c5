import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";

const cli = useCliFixture("mlops-evaluate-", 1500, "churn.csv");

describe("mlops evaluate", () => {
  it("scores a registered version on a CSV whose columns come in any order", async () => {
    const trained = JSON.parse((await cli.train("--name", "scored")).stdout);
    const same = JSON.parse(
      (
        await cli.run([
          "evaluate",
          "--model",
          "scored@1",
          "--data",
          cli.data,
          "--label",
          "label",
          "--rows",
          "test",
          "--json",
        ])
      ).stdout,
    );
    expect(same.metrics).toEqual(trained.metrics);
    expect(same.confusion_matrix).toEqual(trained.confusion_matrix);

    // Columns reversed and the split column dropped: matched by name.
    const lines = (await readFile(cli.data, "utf8"))
      .split("\n")
      .map((l) => l.split(",").slice(0, 6).reverse().join(","));
    const reordered = join(cli.root, "reordered.csv");
    await writeFile(reordered, lines.join("\n"));
    const all = JSON.parse(
      (
        await cli.run([
          "evaluate",
          "--model",
          "scored",
          "--data",
          reordered,
          "--label",
          "label",
          "--json",
        ])
      ).stdout,
    );
    expect(all.rows).toBe(1500);
    expect(all.model).toEqual({ name: "scored", version: 1 });
  });

  it("scores rows of one class, reporting what they do not define and why", async () => {
    await cli.train("--name", "slice");
    const [header, ...rows] = (await readFile(cli.data, "utf8")).trim().split("\n");
    const oneClass = join(cli.root, "one-class.csv");
    await writeFile(oneClass, [header, ...rows.filter((r) => r.endsWith(",0,test"))].join("\n"));
    const args = ["evaluate", "--model", "slice", "--data", oneClass, "--label", "label"];
    const scored = JSON.parse((await cli.run([...args, "--json"])).stdout);
    expect(Object.keys(scored.metrics).sort()).toEqual([
      "accuracy",
      "balanced_accuracy",
      "brier",
      "log_loss",
    ]);
    expect(Object.values(scored.metrics).every(Number.isFinite)).toBe(true);
    const reason =
      'needs rows of at least 2 classes; every row scored is of class "0" (per_class has its precision and recall)';
    expect(scored.not_defined).toEqual({
      roc_auc: reason,
      precision: reason,
      recall: reason,
      f1: reason,
    });
    const [zero, one] = scored.per_class;
    expect(zero).toMatchObject({ class: "0", support: scored.rows, precision: 1 });
    expect(zero.recall).toBe(scored.metrics.accuracy);
    expect(one).toMatchObject({ class: "1", support: 0, precision: 0, recall: null });
    expect(one.predicted).toBeGreaterThan(0);

    const text = await cli.run(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`  roc_auc not defined: ${reason}\n`);
    expect(text.stdout).toContain("precision 0.0000, recall not defined\n");

    // Training keeps its rule: one class is nothing to learn.
    const trained = await cli.run(["train", "--data", oneClass, "--label", "label"]);
    expect(trained.stderr).toMatch(/needs at least 2 classes, found 1/);
  });

  it("names a missing feature or an unknown label", async () => {
    await cli.train("--name", "strict");
    const dropped = join(cli.root, "dropped.csv");
    const lines = (await readFile(cli.data, "utf8"))
      .split("\n")
      .map((l) => l.split(",").slice(1).join(","));
    await writeFile(dropped, lines.join("\n"));
    const missing = await cli.run([
      "evaluate",
      "--model",
      "strict",
      "--data",
      dropped,
      "--label",
      "label",
    ]);
    expect(missing.stderr).toBe('error: column "f0": the model needs this feature column\n');
    const noData = await cli.run(["evaluate", "--model", "strict", "--data", "", "--label", "x"]);
    expect(noData.stderr).toBe(
      "error: option '--data <file>' argument '' is invalid. --data must name a file (got an empty path)\n",
    );
    const relabeled = join(cli.root, "relabeled.csv");
    await writeFile(relabeled, (await readFile(cli.data, "utf8")).replaceAll(",1,t", ",yes,t"));
    const unknown = await cli.run([
      "evaluate",
      "--model",
      "strict",
      "--data",
      relabeled,
      "--label",
      "label",
    ]);
    expect(unknown.stderr).toMatch(
      /^error: column "label": label "yes" is not a class of the model \(0, 1\)/,
    );
  });
});
