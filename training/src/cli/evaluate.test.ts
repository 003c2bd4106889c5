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
