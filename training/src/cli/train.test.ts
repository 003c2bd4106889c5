import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";
import { MlflowServer } from "../../test-support/mlflow-server.js";

const cli = useCliFixture("mlops-train-", 1500, "churn.csv");

describe("mlops train --json", () => {
  it("prints one JSON object, tracks the run and registers increasing versions", async () => {
    const first = await cli.train("--seed", "3", "--threads", "2");
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

    await cli.withStore(async (store) => {
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

    const second = JSON.parse((await cli.train()).stdout);
    expect(second.model).toEqual({ name: "churn", version: 2 });
  });

  it("fails with a message naming the problem and a non-zero exit", async () => {
    const noColumn = await cli.run(["train", "--data", cli.data, "--label", "target", "--json"]);
    expect(noColumn.code).toBe(1);
    expect(noColumn.stdout).toBe("");
    expect(noColumn.stderr).toMatch(/^error: column "target": the label column is missing/);

    const badTrees = await cli.train("--trees", "0");
    expect(badTrees.code).toBe(1);
    expect(badTrees.stderr).toContain('--trees must be an integer in [1, 100000] (got "0")');
    // A typo of a few zeros is refused at once, not run until the heap is exhausted.
    for (const [flag, value] of [
      ["--trees", "1000000000"],
      ["--rounds", "1000000000"],
    ]) {
      const algorithm = flag === "--rounds" ? ["--algorithm", "gbdt"] : [];
      const huge = await cli.run([
        ...["train", "--data", cli.data, "--label", "label", ...algorithm, flag, value!],
      ]);
      expect([huge.code, huge.stderr]).toEqual([
        1,
        expect.stringContaining(`${flag} must be an integer in [1, 100000]`),
      ]);
    }
    // Each thread is an isolate: a thousand of them ran out of memory before this check.
    const manyThreads = await cli.train("--threads", "1000");
    expect([manyThreads.code, manyThreads.stderr]).toEqual([
      1,
      expect.stringContaining('--threads must be an integer in [1, 64] (got "1000")'),
    ]);

    const noData = await cli.run(["train", "--label", "label"]);
    expect(noData.code).toBe(1);
    expect(noData.stderr).toContain("required option '--data <file>' not specified");
  });

  it("refuses a model name the registry would not accept, before tracking anything", async () => {
    const bad = await cli.train("--name", "no spaces");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --name must be 1-64 characters/);
    // A name taken from the file says where it came from.
    const spaced = join(cli.root, "no spaces.csv");
    await writeFile(spaced, await readFile(cli.data, "utf8"));
    const fromFile = await cli.run(["train", "--data", spaced, "--label", "label", "--trees", "3"]);
    expect(fromFile.stderr).toMatch(
      /^error: --name \(by default the --data file's base name\) must be 1-64 characters/,
    );
  });

  it("refuses artifacts that cannot be written before it records a run or registers", async () => {
    const blocker = join(cli.root, "not-a-dir");
    await writeFile(blocker, "");
    const before = await cli.withStore(async (store) => ({
      runs: (await store.runs.list()).length,
      versions: (await store.models.list("churn")).length,
    }));
    for (const [artifacts, at] of [
      [blocker, blocker],
      [join(blocker, "deeper"), blocker],
      ["/dev/null", "/dev/null"],
    ] as const) {
      const bad = await cli.train("--trees", "2", "--artifacts", artifacts);
      expect([bad.code, bad.stdout]).toEqual([1, ""]);
      expect(bad.stderr).toBe(
        `error: --artifacts must be a folder that can be created and written (${at}: a folder on its path is a file) (got "${artifacts}")\n`,
      );
    }
    await cli.withStore(async (store) => {
      expect((await store.runs.list()).length).toBe(before.runs);
      expect(await store.models.list("churn")).toHaveLength(before.versions);
    });
    // A folder that does not exist yet is fine: it is made when the version's files are written.
    const fresh = join(cli.root, "fresh", "artifacts");
    const made = await cli.train("--trees", "2", "--artifacts", fresh);
    expect(made.code).toBe(0);
    expect(JSON.parse(made.stdout).artifact.startsWith(fresh)).toBe(true);
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "stops on %s: the run is KILLED, nothing is registered, exit %i",
    async (name, code) => {
      const before = await cli.withStore((store) => store.models.list("churn"));
      // A forest that would take many seconds; the signal comes while it grows.
      const timer = setTimeout(() => process.emit(name, name), 300);
      const started = Date.now();
      const stopped = await cli.train("--trees", "20000", "--threads", "1", "--name", "churn");
      clearTimeout(timer);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(stopped.code).toBe(code);
      expect(stopped.stdout).toBe("");
      expect(stopped.stderr).toBe(
        `interrupted by ${name}: runs it had not finished are marked KILLED, and nothing they trained was registered\n`,
      );
      await cli.withStore(async (store) => {
        expect(await store.models.list("churn")).toEqual(before);
        const runs = await store.runs.list({ experimentName: "churn" });
        const run = runs.reduce((a, b) => (b.start_time > a.start_time ? b : a));
        expect(run.status).toBe("KILLED");
        expect(run.end_time).toBeGreaterThanOrEqual(run.start_time);
        expect(run.tags["mlops.error"]).toBe(`interrupted by ${name}`);
      });
    },
  );

  it("writes under MLOPS_ARTIFACT_DIR, as pnpm start does, unless --artifacts says otherwise", async () => {
    const args = ["train", "--data", cli.data, "--label", "label", "--trees", "3", "--json"];
    const envDir = join(cli.root, "from-env");
    const fromEnv = await cli.run(args, { MLOPS_ARTIFACT_DIR: envDir });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout).artifact.startsWith(join(envDir, ""))).toBe(true);

    const flagDir = join(cli.root, "from-flag");
    const fromFlag = await cli.run([...args, "--artifacts", flagDir], {
      MLOPS_ARTIFACT_DIR: envDir,
    });
    expect(JSON.parse(fromFlag.stdout).artifact.startsWith(join(flagDir, ""))).toBe(true);

    const tooLong = await cli.run(args, { MLOPS_ARTIFACT_DIR: "a".repeat(1025) });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/MLOPS_ARTIFACT_DIR: .*1024/);
    // The environment is read when the command runs: --help works whatever it holds.
    const help = await cli.run(["train", "--help"], { MLOPS_ARTIFACT_DIR: "a".repeat(1025) });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/default:\s+MLOPS_ARTIFACT_DIR, else \.mlops\/artifacts/);
  });

  it("has --help on the subcommand", async () => {
    const help = await cli.run(["train", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--data <file>");
  });
});

describe("mlops train off a terminal", () => {
  it("writes plain progress lines, never redraws, and none with --json", async () => {
    // A clock 6 s further on at every reading: every report is past the lines' least gap.
    let clock = Date.now();
    const now = vi.spyOn(Date, "now").mockImplementation(() => (clock += 6000));
    try {
      const args = ["train", "--data", cli.data, "--label", "label", "--trees", "4"];
      const plain = await cli.run([...args, "--artifacts", join(cli.root, "plain-artifacts")]);
      expect(plain.code).toBe(0);
      const lines = plain.stderr.split("\n").filter((line) => line !== "");
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/^training: [1-4]\/4 trees$/);
      expect(plain.stderr).not.toContain("\r");
      expect(lines.at(-1)).toBe("training: 4/4 trees");
      const json = await cli.run([
        ...args,
        "--artifacts",
        join(cli.root, "plain-artifacts"),
        "--json",
      ]);
      expect([json.code, json.stderr]).toEqual([0, ""]);
    } finally {
      now.mockRestore();
    }
  });
});

describe("mlops train --auto-promote", () => {
  const promote = async (...extra: string[]) => {
    const result = await cli.train("--name", "gated", "--auto-promote", ...extra);
    expect(result.stderr).toBe("");
    return JSON.parse(result.stdout);
  };

  it("makes a version challenger only past the threshold and not worse than the champion", async () => {
    const high = await promote("--promotion-threshold", "0.999");
    expect(high.promotion).toMatchObject({ promoted: false, champion: null });
    expect(high.promotion.reason).toMatch(/^accuracy 0\.\d{4} does not clear the threshold 0\.999/);

    const passed = await promote("--promotion-threshold", "0.5");
    expect(passed.promotion).toMatchObject({ promoted: true, champion: null });
    await cli.withStore(async (store) => {
      expect(await store.models.aliases("gated")).toEqual({ challenger: passed.model.version });
      // Only an A/B decision moves champion; here the test plays that part.
      await store.models.setAlias("gated", "champion", passed.model.version);
      const tracked = await store.runs.get(passed.run_id);
      expect(tracked?.tags["mlops.promotion"]).toBe("challenger");
    });

    const weaker = await promote("--promotion-threshold", "0.5", "--trees", "1");
    expect(weaker.promotion.promoted).toBe(false);
    // One seed: both held out the same rows, the candidate's whole test part.
    expect(weaker.promotion.champion).toEqual({
      version: passed.model.version,
      value: passed.metrics.accuracy,
      candidate_value: weaker.metrics.accuracy,
      rows: weaker.confusion_matrix.flat().reduce((a: number, b: number) => a + b, 0),
      basis: "both-held-out",
      note: null,
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
    const noThreshold = await cli.train("--auto-promote");
    expect(noThreshold.code).toBe(1);
    expect(noThreshold.stderr).toBe(
      "error: --promotion-threshold is required with --auto-promote\n",
    );
    const badMetric = await cli.train(
      "--auto-promote",
      "--promotion-threshold",
      "0.5",
      "--metric",
      "speed",
    );
    expect(badMetric.stderr).toMatch(/^error: --metric must be one of accuracy, /);
  });
});

describe("MLFLOW_TRACKING_URI", () => {
  it("tracks mlops train on an MLflow server while the registry stays in the store", async () => {
    const mlflow = new MlflowServer();
    const uri = await mlflow.start();
    try {
      const out = await cli.run(
        [
          "train",
          "--data",
          cli.data,
          "--label",
          "label",
          "--trees",
          "5",
          "--name",
          "remote",
          "--artifacts",
          join(cli.root, "artifacts"),
          "--json",
        ],
        { MLFLOW_TRACKING_URI: uri },
      );
      expect([out.code, out.stderr]).toEqual([0, ""]);
      const result = JSON.parse(out.stdout);
      expect(mlflow.violations).toEqual([]);
      const run = mlflow.runs.get(result.run_id)!;
      expect(run.status).toBe("FINISHED");
      expect(run.params).toMatchObject({ n_estimators: "5", label: "label" });
      expect(run.tags["mlops.model"]).toBe("remote@1");
      expect(run.metrics.find((m) => m.key === "accuracy")?.value).toBe(result.metrics.accuracy);
      // The mirrored version names the model folder in the server's artifact store, uploaded there.
      const [mirrored] = mlflow.registeredModels.get("remote")!.versions;
      expect(mirrored?.source).toBe("mlflow-artifacts:/mlops-models/remote/1");
      expect(mlflow.storedArtifacts.get("mlops-models/remote/1/model.json")).toEqual(
        await readFile(join(cli.root, "artifacts", result.run_id, "model", "model.json")),
      );
      await cli.withStore(async (store) => {
        expect((await store.models.get("remote", 1))?.run_id).toBe(result.run_id);
        expect(await store.runs.get(result.run_id)).toBeNull();
      });
    } finally {
      await mlflow.stop();
    }
  });
});
