import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { versionAlgorithm } from "@mlops/contracts";
import { CARD_FILE, loadClassifierModel, readArtifactDir } from "@mlops/models";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";
import { loadDataset, takeRows } from "../dataset.js";
import { accuracy } from "../metrics.js";

const cli = useCliFixture("mlops-train-gbdt-", 1500, "churn.csv");

/** `mlops train --algorithm gbdt --json` on the fixture's data, with `extra` flags. */
const gbdt = (...extra: string[]) =>
  cli.run([
    "train",
    ...["--data", cli.data, "--label", "label", "--algorithm", "gbdt"],
    ...["--artifacts", join(cli.root, "artifacts"), "--json", ...extra],
  ]);

describe("mlops train --algorithm gbdt", () => {
  it("trains with the flags' hyperparameters, echoes them in --json, and records them everywhere", async () => {
    const out = await gbdt(
      ...["--rounds", "60", "--learning-rate", "0.3", "--max-depth", "4"],
      ...["--max-leaf-nodes", "none", "--l2", "1", "--min-samples-leaf", "5"],
      ...["--min-hessian-leaf", "0.01", "--subsample", "0.8", "--colsample", "0.8"],
      ...["--early-stopping-rounds", "3", "--validation-fraction", "0.2", "--seed", "7"],
    );
    expect([out.code, out.stderr]).toEqual([0, ""]);
    const result = JSON.parse(out.stdout);
    const params = {
      algorithm: "gbdt",
      n_estimators: 60,
      learning_rate: 0.3,
      growth: "leafwise",
      max_leaf_nodes: "none",
      max_depth: 4,
      min_samples_leaf: 5,
      min_samples_split: 2,
      min_hessian_leaf: 0.01,
      l2_regularization: 1,
      max_bins: 255,
      subsample: 0.8,
      colsample_bytree: 0.8,
      early_stopping: true,
      validation_fraction: 0.2,
      n_iter_no_change: 3,
      tol: 1e-7,
      seed: 7,
    };
    expect(result).toMatchObject({ algorithm: "gbdt", params, model: { name: "churn" } });
    const { rounds } = result;
    expect(rounds.kept).toBeGreaterThan(0);
    expect(rounds.trained).toBeLessThanOrEqual(60);
    // Early stopping keeps the best round: the rounds after it that did not improve are dropped.
    if (rounds.stopped_by === "early_stopping") expect(rounds.trained).toBe(rounds.kept + 3);
    else expect(rounds).toEqual({ trained: 60, kept: 60, stopped_by: null });
    expect(result.metrics.accuracy).toBeGreaterThan(0.85);

    // The artifact: a format 2 manifest naming the algorithm, a model file of kind gbdt that
    // loads and predicts the held-out rows exactly as the trainer scored them, and a card.
    const artifact = await readArtifactDir(result.artifact);
    expect(artifact.manifest).toMatchObject({ format_version: 2, algorithm: "gbdt", params });
    expect(JSON.parse(artifact.model)).toMatchObject({ kind: "gbdt", formatVersion: 1 });
    const loaded = loadClassifierModel(artifact);
    expect(loaded.algorithm).toBe("gbdt");
    expect(loaded.predictor.nClasses).toBe(2);
    const dataset = await loadDataset(cli.data, { label: "label", seed: 7 });
    const test = takeRows(dataset, dataset.split.test);
    expect(accuracy(test.y, loaded.predictor.predict(test.x))).toBe(result.metrics.accuracy);
    const card = await readFile(join(result.artifact, CARD_FILE), "utf8");
    expect(card).toContain("A gradient-boosted trees classifier (algorithm `gbdt`");
    expect(card).toContain(
      rounds.stopped_by === "early_stopping"
        ? `early stopping kept ${rounds.kept} of the ${rounds.trained} rounds trained`
        : "all 60 rounds kept (early stopping did not trigger)",
    );
    for (const [key, value] of Object.entries(params)) {
      expect(card).toContain(`| ${key} | ${value} |`);
    }

    await cli.withStore(async (store) => {
      const tracked = await store.runs.get(result.run_id);
      expect(tracked?.params).toMatchObject({ ...params, label: "label" });
      const losses = tracked?.metrics.validation_log_loss_by_round ?? [];
      expect(losses.map((p) => p.step)).toEqual(
        Array.from({ length: rounds.trained }, (_, i) => i + 1),
      );
      expect(tracked?.metrics.rounds_kept[0].value).toBe(rounds.kept);
      const version = (await store.models.get("churn", result.model.version))!;
      expect(version.params).toEqual(params);
      expect(versionAlgorithm(version)).toBe("gbdt");
      expect(version.description).toMatch(/^Gradient-boosted trees on churn\.csv/);
    });
  });

  it("keeps today's forest by default and says which algorithm it trained", async () => {
    const out = await cli.train("--seed", "5");
    expect([out.code, out.stderr]).toEqual([0, ""]);
    const result = JSON.parse(out.stdout);
    expect(result).toMatchObject({
      algorithm: "forest",
      rounds: null,
      params: { algorithm: "forest", n_estimators: 10, seed: 5 },
    });
    expect((await readArtifactDir(result.artifact)).manifest.algorithm).toBe("forest");
  });

  it.each<[string, string[], string]>([
    [
      "a rate out of range",
      ["--learning-rate", "2"],
      '--learning-rate must be a number in (0, 1] (got "2")',
    ],
    ["no rounds", ["--rounds", "0"], '--rounds must be an integer in [1, 100000] (got "0")'],
    [
      "a word for a number",
      ["--rounds", "ten"],
      '--rounds must be a finite decimal number, such as 20, 0.5, .05 or 5e-2 (got "ten")',
    ],
    [
      "a hexadecimal number",
      ["--rounds", "0x10"],
      '--rounds must be a finite decimal number, such as 20, 0.5, .05 or 5e-2 (got "0x10")',
    ],
    [
      "a padded number",
      ["--l2", " 1"],
      '--l2 must be a finite decimal number, such as 20, 0.5, .05 or 5e-2 (got " 1")',
    ],
    [
      "a negative depth",
      ["--max-depth", "-1"],
      '--max-depth must be an integer ≥ 1 or none (got "-1")',
    ],
    [
      "a word for a depth",
      ["--max-depth", "deep"],
      '--max-depth must be a finite decimal number, such as 20, 0.5, .05 or 5e-2, or none (got "deep")',
    ],
    [
      "an unknown growth",
      ["--growth", "sideways"],
      '--growth must be "leafwise" or "depthwise" (got "sideways")',
    ],
    ["an empty sample", ["--subsample", "0"], '--subsample must be a number in (0, 1] (got "0")'],
    [
      "too many bins",
      ["--max-bins", "300"],
      '--max-bins must be an integer in [2, 255] (got "300")',
    ],
    [
      "a validation share without early stopping",
      ["--validation-fraction", "0.2"],
      '--validation-fraction needs --early-stopping-rounds (the share is held out for early stopping only) (got "0.2")',
    ],
    ["the forest's flag", ["--trees", "5"], "--trees applies to --algorithm forest only (got 5)"],
    [
      "forest shares",
      ["--from-shares", "shares"],
      '--from-shares merges forest shares: use --algorithm forest (boosting rounds each fit the rounds before them, so a gbdt has no shares) (got "shares")',
    ],
    [
      // gbdt goes to the cluster like the forest: what stops it here is the missing workspace.
      "the Azure ML target without a workspace",
      ["--target", "azureml"],
      "AZURE_SUBSCRIPTION_ID must be set for --target azureml",
    ],
    [
      "a bad flag before the Azure ML target is read",
      ["--target", "azureml", "--growth", "sideways"],
      '--growth must be "leafwise" or "depthwise" (got "sideways")',
    ],
  ])("refuses %s, naming the flag and the rule", async (_, flags, message) => {
    const out = await gbdt(...flags);
    expect([out.code, out.stdout, out.stderr]).toEqual([1, "", `error: ${message}\n`]);
  });

  it("refuses an unknown algorithm and gbdt flags on a forest", async () => {
    const unknown = await gbdt("--algorithm", "xgboost");
    expect(unknown.stderr).toBe('error: --algorithm must be "forest" or "gbdt" (got "xgboost")\n');
    const forest = await cli.train("--rounds", "5");
    expect([forest.code, forest.stderr]).toEqual([
      1,
      'error: --rounds applies to --algorithm gbdt only (got "5")\n',
    ]);
    await cli.withStore(async (store) => {
      const versions = await store.models.list("churn");
      // Only the two good runs above registered anything.
      expect(versions.map((v) => versionAlgorithm(v)).sort()).toEqual(["forest", "gbdt"]);
    });
  });
});
