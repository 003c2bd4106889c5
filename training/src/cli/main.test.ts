import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MlflowServer } from "../../test-support/mlflow-server.js";
import { runCli, withSqlite } from "./cli.test-support.js";
import { main } from "./main.js";

let root: string;
let data: string;
const dbPath = () => join(root, "platform.db");

const run = (argv: string[]) => runCli(dbPath(), argv);

const train = (...extra: string[]) =>
  run([
    "train",
    "--data",
    data,
    "--label",
    "label",
    "--trees",
    "10",
    "--artifacts",
    join(root, "artifacts"),
    "--json",
    ...extra,
  ]);

const withStore = <T>(fn: (store: Store) => Promise<T>) => withSqlite(dbPath(), fn);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mlops-cli-"));
  const demo = await readFile(
    new URL("../../data/demo-classification.csv", import.meta.url),
    "utf8",
  );
  data = join(root, "churn.csv");
  await writeFile(data, demo.split("\n").slice(0, 1501).join("\n"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("mlops train --json", () => {
  it("prints one JSON object, tracks the run and registers increasing versions", async () => {
    const first = await train("--seed", "3", "--threads", "2");
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    const result = JSON.parse(first.stdout);
    expect(first.stdout.trim().split("\n")).toHaveLength(1);
    expect(result).toMatchObject({ model: { name: "churn", version: 1 }, classes: ["0", "1"] });
    expect(result.metrics.accuracy).toBeGreaterThan(0.85);
    expect(Object.keys(result.metrics).sort()).toEqual([
      "accuracy",
      "balanced_accuracy",
      "brier",
      "f1",
      "log_loss",
      "precision",
      "recall",
      "roc_auc",
    ]);
    expect(typeof result.fit_ms).toBe("number");
    expect((await readdir(result.artifact)).sort()).toEqual([
      "card.md",
      "manifest.json",
      "model.json",
    ]);

    await withStore(async (store) => {
      const tracked = await store.runs.get(result.run_id);
      expect(tracked?.status).toBe("FINISHED");
      expect(tracked?.params).toMatchObject({ n_estimators: 10, seed: 3, label: "label" });
      expect(tracked?.tags["mlops.data_hash"]).toBe(result.data_hash);
      expect(tracked?.tags["mlops.model"]).toBe("churn@1");
      expect(tracked?.metrics.accuracy_by_trees.map((p) => p.step)).toEqual([10]);
      expect(tracked?.metrics.accuracy[0].value).toBe(result.metrics.accuracy);
      const version = await store.models.get("churn", 1);
      expect(version).toMatchObject({
        run_id: result.run_id,
        data_hash: result.data_hash,
        kind: "classifier",
      });
    });

    const second = JSON.parse((await train()).stdout);
    expect(second.model).toEqual({ name: "churn", version: 2 });
  });

  it("fails with a message naming the problem and a non-zero exit", async () => {
    const noColumn = await run(["train", "--data", data, "--label", "target", "--json"]);
    expect(noColumn.code).toBe(1);
    expect(noColumn.stdout).toBe("");
    expect(noColumn.stderr).toMatch(/^error: column "target": the label column is missing/);

    const badTrees = await run(["train", "--data", data, "--label", "label", "--trees", "0"]);
    expect(badTrees.code).toBe(1);
    expect(badTrees.stderr).toContain('--trees must be an integer ≥ 1 (got "0")');

    const noData = await run(["train", "--label", "label"]);
    expect(noData.code).toBe(1);
    expect(noData.stderr).toContain("required option '--data <file>' not specified");
  });

  it("refuses a model name the registry would not accept, before tracking anything", async () => {
    const bad = await train("--name", "no spaces");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: name must be 1-64 characters/);
  });

  it("marks the run FAILED, and registers nothing, when the artifacts cannot be written", async () => {
    const blocker = join(root, "not-a-dir");
    await writeFile(blocker, "");
    const before = await withStore((store) => store.models.list("churn"));
    const bad = await run([
      "train",
      "--data",
      data,
      "--label",
      "label",
      "--trees",
      "2",
      "--artifacts",
      blocker,
      "--json",
    ]);
    expect(bad.code).toBe(1);
    await withStore(async (store) => {
      const failed = (await store.runs.list()).filter((r) => r.status === "FAILED");
      expect(failed).toHaveLength(1);
      expect(failed[0].tags["mlops.error"]).toMatch(/ENOTDIR|EEXIST/);
      expect(await store.models.list("churn")).toHaveLength(before.length);
    });
  });

  it("has --help on the subcommand", async () => {
    const help = await run(["train", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--data <file>");
  });
});

describe("mlops train --auto-promote", () => {
  const promote = async (...extra: string[]) => {
    const result = await train("--name", "gated", "--auto-promote", ...extra);
    expect(result.stderr).toBe("");
    return JSON.parse(result.stdout);
  };

  it("makes a version challenger only past the threshold and not worse than the champion", async () => {
    const high = await promote("--promotion-threshold", "0.999");
    expect(high.promotion).toMatchObject({ promoted: false, champion: null });
    expect(high.promotion.reason).toMatch(/^accuracy 0\.\d{4} does not clear the threshold 0\.999/);

    const passed = await promote("--promotion-threshold", "0.5");
    expect(passed.promotion).toMatchObject({ promoted: true, champion: null });
    await withStore(async (store) => {
      expect(await store.models.aliases("gated")).toEqual({ challenger: passed.model.version });
      // Only an A/B decision moves champion; here the test plays that part.
      await store.models.setAlias("gated", "champion", passed.model.version);
      const tracked = await store.runs.get(passed.run_id);
      expect(tracked?.tags["mlops.promotion"]).toBe("challenger");
    });

    const weaker = await promote("--promotion-threshold", "0.5", "--trees", "1");
    expect(weaker.promotion.promoted).toBe(false);
    expect(weaker.promotion.champion).toEqual({
      version: passed.model.version,
      value: passed.metrics.accuracy,
    });
    expect(weaker.promotion.reason).toMatch(/is worse than champion v\d+'s/);

    const lossGate = await promote(
      "--promotion-threshold",
      "5",
      "--metric",
      "log_loss",
      // The champion's split and first 10 trees, and 20 more: a lower log-loss on the same rows.
      "--trees",
      "30",
    );
    expect(lossGate.promotion.reason).toMatch(/^log_loss .* clears the threshold 5/);
  });

  it("checks the gate's options before training", async () => {
    const noThreshold = await train("--auto-promote");
    expect(noThreshold.code).toBe(1);
    expect(noThreshold.stderr).toBe(
      "error: --promotion-threshold is required with --auto-promote (got undefined)\n",
    );
    const badMetric = await train(
      "--auto-promote",
      "--promotion-threshold",
      "0.5",
      "--metric",
      "speed",
    );
    expect(badMetric.stderr).toMatch(/^error: metric must be one of accuracy, /);
  });
});

describe("mlops models and runs", () => {
  it("list, show and print cards of what training recorded", async () => {
    const trained = JSON.parse((await train("--name", "listed")).stdout);
    const list = JSON.parse((await run(["models", "list", "--json"])).stdout);
    expect(list).toContainEqual(expect.objectContaining({ name: "listed", latest_version: 1 }));

    const shown = await run(["models", "show", "listed@1", "--json"]);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: "listed",
      version: 1,
      run_id: trained.run_id,
    });
    expect((await run(["models", "show", "listed"])).stdout).toContain(`run ${trained.run_id}`);

    const card = await run(["models", "card", "listed@1"]);
    expect(card.stdout).toMatch(/^# Model card: listed v1/);

    const runs = JSON.parse(
      (await run(["runs", "list", "--experiment", "listed", "--json"])).stdout,
    );
    expect(runs.map((r: { run_id: string }) => r.run_id)).toEqual([trained.run_id]);
    expect((await run(["runs", "list"])).stdout).toContain(`${trained.run_id}\tlisted\tFINISHED`);
    expect(JSON.parse((await run(["runs", "show", trained.run_id, "--json"])).stdout).status).toBe(
      "FINISHED",
    );
  });

  it("names what it cannot find", async () => {
    const missing = await run(["runs", "show", "nope"]);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      'error: run-id names no tracked run (got "nope")\n',
    ]);
    const noModel = await run(["models", "show", "ghost@3"]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/^error: .*ghost/);
  });
});

describe("mlops sweep", () => {
  it("tracks each trial as a child run and stops weak ones by the Bandit rule", async () => {
    const space = join(root, "space.json");
    await writeFile(
      space,
      JSON.stringify({ maxDepth: { type: "choice", values: [12, 1, 10, 1] } }),
    );
    const sweep = await run([
      "sweep",
      "--data",
      data,
      "--label",
      "label",
      "--space",
      space,
      "--sampling",
      "grid",
      "--trees",
      "20",
      "--report-every",
      "5",
      "--policy",
      "bandit",
      "--slack-factor",
      "0.01",
      "--threads",
      "2",
      "--experiment",
      "depths",
      "--json",
    ]);
    expect(sweep.stderr).toBe("");
    const result = JSON.parse(sweep.stdout);
    expect(result).toMatchObject({ trials: 4, terminated: 2, failed: 0, timed_out: false });
    await withStore(async (store) => {
      expect((await store.runs.get(result.run_id))?.status).toBe("FINISHED");
      const children = await store.runs.list({ parentRunId: result.run_id });
      expect(children.map((c) => c.status).sort()).toEqual([
        "FINISHED",
        "FINISHED",
        "KILLED",
        "KILLED",
      ]);
      const killed = children.find((c) => c.status === "KILLED")!;
      expect(killed.params).toEqual({ maxDepth: 1 });
      expect(killed.tags["mlops.trial.reason"]).toMatch(/^bandit at interval 1/);
      expect(killed.metrics.validation_accuracy.map((p) => p.step)).toEqual([5]);
      const best = children.find((c) => c.run_id === result.best.run_id)!;
      expect(best.metrics.validation_accuracy.map((p) => p.step)).toEqual([5, 10, 15, 20]);
    });
  });

  it("names bad sweep options", async () => {
    const space = join(root, "bad-space.json");
    await writeFile(space, JSON.stringify({ maxDepth: { type: "uniform", min: 3, max: 1 } }));
    const base = ["sweep", "--data", data, "--label", "label", "--space", space];
    expect((await run(base)).stderr).toMatch(
      /^error: space.maxDepth uniform needs finite min < max/,
    );
    expect((await run([...base.slice(0, 5), "--space", join(root, "none.json")])).stderr).toMatch(
      /^error: --space must be a readable JSON file/,
    );
    await writeFile(space, JSON.stringify({ maxDepth: { type: "choice", values: [2] } }));
    expect((await run([...base, "--policy", "hyperband"])).stderr).toMatch(
      /^error: --policy must be/,
    );
    expect((await run([...base, "--policy", "bandit"])).stderr).toMatch(
      /^error: slackFactor or slackAmount/,
    );
  });
});

describe("mlops evaluate", () => {
  it("scores a registered version on a CSV whose columns come in any order", async () => {
    const trained = JSON.parse((await train("--name", "scored")).stdout);
    const same = JSON.parse(
      (
        await run([
          "evaluate",
          "--model",
          "scored@1",
          "--data",
          data,
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
    const lines = (await readFile(data, "utf8"))
      .split("\n")
      .map((l) => l.split(",").slice(0, 6).reverse().join(","));
    const reordered = join(root, "reordered.csv");
    await writeFile(reordered, lines.join("\n"));
    const all = JSON.parse(
      (
        await run([
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
    await train("--name", "strict");
    const dropped = join(root, "dropped.csv");
    const lines = (await readFile(data, "utf8"))
      .split("\n")
      .map((l) => l.split(",").slice(1).join(","));
    await writeFile(dropped, lines.join("\n"));
    const missing = await run([
      "evaluate",
      "--model",
      "strict",
      "--data",
      dropped,
      "--label",
      "label",
    ]);
    expect(missing.stderr).toBe('error: column "f0": the model needs this feature column\n');
    const relabeled = join(root, "relabeled.csv");
    await writeFile(relabeled, (await readFile(data, "utf8")).replaceAll(",1,t", ",yes,t"));
    const unknown = await run([
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

describe("MLFLOW_TRACKING_URI", () => {
  it("tracks mlops train on an MLflow server while the registry stays in the store", async () => {
    const mlflow = new MlflowServer();
    const uri = await mlflow.start();
    try {
      const out: string[] = [];
      const code = await main(
        [
          "train",
          "--data",
          data,
          "--label",
          "label",
          "--trees",
          "5",
          "--name",
          "remote",
          "--artifacts",
          join(root, "artifacts"),
          "--json",
        ],
        {
          stdout: (t) => out.push(t),
          stderr: (t) => out.push(t),
          env: { MLOPS_STORE: `sqlite:${dbPath()}`, MLFLOW_TRACKING_URI: uri },
          isTTY: false,
        },
      );
      expect(code).toBe(0);
      const result = JSON.parse(out.join(""));
      expect(mlflow.violations).toEqual([]);
      const run = mlflow.runs.get(result.run_id)!;
      expect(run.status).toBe("FINISHED");
      expect(run.params).toMatchObject({ n_estimators: "5", label: "label" });
      expect(run.tags["mlops.model"]).toBe("remote@1");
      expect(run.metrics.find((m) => m.key === "accuracy")?.value).toBe(result.metrics.accuracy);
      await withStore(async (store) => {
        expect((await store.models.get("remote", 1))?.run_id).toBe(result.run_id);
        expect(await store.runs.get(result.run_id)).toBeNull();
      });
    } finally {
      await mlflow.stop();
    }
  });
});
