import { createHash } from "node:crypto";
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

  it("scores --rows test on the rows the version's recorded seed held out", async () => {
    // Without the split column the seed decides the split: the version's, not 42.
    const plain = join(cli.root, "plain.csv");
    const lines = (await readFile(cli.data, "utf8")).trimEnd().split("\n");
    await writeFile(plain, lines.map((l) => l.split(",").slice(0, -1).join(",")).join("\n"));
    const trained = JSON.parse(
      (
        await cli.run([
          "train",
          "--data",
          plain,
          "--label",
          "label",
          "--name",
          "nine",
          "--seed",
          "9",
          "--trees",
          "10",
          "--json",
        ])
      ).stdout,
    );
    const args = ["evaluate", "--model", "nine", "--label", "label", "--rows", "test", "--json"];
    const scored = JSON.parse((await cli.run([...args, "--data", plain])).stdout);
    expect(scored.metrics).toEqual(trained.metrics);
    expect(scored.confusion_matrix).toEqual(trained.confusion_matrix);
    // The file with its split column is another file: which of its rows v1 trained on is unknown.
    const other = await cli.run([...args, "--data", cli.data]);
    const otherHash = createHash("sha256")
      .update(await readFile(cli.data))
      .digest("hex");
    expect(other.stderr).toBe(
      `error: --rows test scores the rows the version held out of its training file: nine@1 was trained on another file (sha256 ${trained.data_hash.slice(0, 12)}…, this one's ${otherHash.slice(0, 12)}…); score another file with --rows all (got "test")\n`,
    );
  });

  it("reads only the model's features and the label, and names the columns it ignored", async () => {
    await cli.train("--name", "narrow");
    const withId = join(cli.root, "with-id.csv");
    const [header, ...rows] = (await readFile(cli.data, "utf8")).trimEnd().split("\n");
    await writeFile(
      withId,
      [`id,${header},note`, ...rows.map((row, i) => `r${i + 1},${row},x`)].join("\n"),
    );
    const args = ["evaluate", "--model", "narrow", "--data", withId, "--label", "label"];
    const json = await cli.run([...args, "--json"]);
    expect(json.stderr).toBe("");
    const scored = JSON.parse(json.stdout);
    expect(scored.rows).toBe(1500);
    expect(scored.ignored_columns).toEqual(["id", "note"]);
    const text = await cli.run(args);
    expect(text.stdout).toContain(
      "note: 2 column(s) of the file are not features of the model and were ignored: id, note\n",
    );
    const plain = await cli.run([
      "evaluate",
      "--model",
      "narrow",
      "--data",
      cli.data,
      "--label",
      "label",
      "--json",
    ]);
    expect(JSON.parse(plain.stdout).ignored_columns).toEqual([]);
    expect(
      (await cli.run(["evaluate", "--model", "narrow", "--data", cli.data, "--label", "label"]))
        .stdout,
    ).not.toContain("note:");
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
