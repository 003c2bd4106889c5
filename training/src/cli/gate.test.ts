import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, withSqlite } from "../../test-support/cli.js";
import { DEMO_DATA } from "../jobs/demo.js";

/**
 * `mlops gate` on versions trained without a gate (as an Azure ML job registers them): the same
 * decision `--auto-promote` makes, on the file's held-out rows, against the champion.
 */

let root: string;
let data: string;
const dbPath = () => join(root, "platform.db");
const run = (argv: string[]) => runCli(dbPath(), argv);

/** Trains a version with `trees` trees and returns its number. */
async function train(trees: number, seed: number): Promise<number> {
  const r = await run([
    "train",
    ...["--data", data, "--label", "label", "--name", "clf", "--trees", String(trees)],
    ...["--seed", String(seed), "--artifacts", join(root, "artifacts"), "--json"],
  ]);
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout).model.version;
}

const gate = (model: string, threshold: number) =>
  run([
    "gate",
    ...["--model", model, "--data", data, "--label", "label"],
    ...["--promotion-threshold", String(threshold), "--json"],
  ]);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mlops-gate-"));
  const demo = await readFile(
    new URL("../../data/demo-classification.csv", import.meta.url),
    "utf8",
  );
  data = join(root, "small.csv");
  await writeFile(data, demo.split("\n").slice(0, 601).join("\n"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("mlops gate", () => {
  it("with no champion, promotes a version that clears the threshold, and says why", async () => {
    const v = await train(15, 1);
    const r = await gate(`clf@${v}`, 0.5);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.model).toEqual({ name: "clf", version: v });
    expect(out.value).toBeGreaterThan(0.5);
    expect(out.promotion).toMatchObject({ promoted: true, champion: null });
    expect(out.promotion.reason).toMatch(/\(no champion yet\)$/);
    await withSqlite(dbPath(), async (store) => {
      expect((await store.models.aliases("clf")).challenger).toBe(v);
    });
  });

  it("refuses a version worse than the champion on the same held-out rows", async () => {
    const strong = await train(40, 2);
    await withSqlite(dbPath(), (store) => store.models.setAlias("clf", "champion", strong));
    const weak = await train(1, 3);
    const r = await gate(`clf@${weak}`, 0.1);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.promotion.promoted).toBe(false);
    expect(out.promotion.champion.version).toBe(strong);
    expect(out.promotion.reason).toMatch(/is worse than champion v\d+'s/);
    expect(out.value).toBeLessThan(out.promotion.champion.value);
    await withSqlite(dbPath(), async (store) => {
      expect((await store.models.aliases("clf")).challenger).not.toBe(weak);
    });
  });

  it("refuses a version under the threshold, and names a missing threshold", async () => {
    const v = await train(5, 4);
    const out = JSON.parse((await gate(`clf@${v}`, 0.999)).stdout);
    expect(out.promotion.promoted).toBe(false);
    expect(out.promotion.reason).toMatch(/does not clear the threshold 0.999/);
    const missing = await run(["gate", "--model", `clf@${v}`, "--data", data, "--label", "label"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--promotion-threshold/);
  });
});

describe("the gate's flags", () => {
  const gateArgs = (...extra: string[]) => [
    "gate",
    ...["--data", data, "--label", "label", "--promotion-threshold", "0.5", ...extra],
  ];
  const trainArgs = (...extra: string[]) => [
    "train",
    ...["--data", data, "--label", "label", "--name", "flags", "--trees", "2", ...extra],
  ];

  it("says a GARCH model is not a classifier, before reading the data", async () => {
    const fit = await run([
      "garch",
      "fit",
      ...["--data", DEMO_DATA.returns, "--name", "vol", "--max-p", "1", "--max-q", "1"],
      ...["--dist", "normal", "--artifacts", join(root, "artifacts")],
    ]);
    expect(fit.stderr).toBe("");
    const r = await run(gateArgs("--model", "vol@1"));
    expect([r.code, r.stderr]).toEqual([
      1,
      'error: --model vol@1 is a garch model, not classifier: the gate scores READY classifiers only (got "vol@1")\n',
    ]);
    const bare = await run(gateArgs("--model", "vol"));
    expect(bare.stderr).toMatch(/^error: --model vol@1 is a garch model/);
  });

  it("names --metric, --seed and --data, in gate and in train --auto-promote", async () => {
    const metric =
      'error: --metric must be one of accuracy, balanced_accuracy, precision, recall, f1, roc_auc, log_loss, brier (got "speed")\n';
    const gate = await run(gateArgs("--model", "clf@1", "--metric", "speed"));
    expect([gate.code, gate.stderr]).toEqual([1, metric]);
    const train = await run(
      trainArgs("--auto-promote", "--promotion-threshold", "0.5", "--metric", "speed"),
    );
    expect([train.code, train.stderr]).toEqual([1, metric]);

    for (const args of [gateArgs("--model", "clf@1"), trainArgs()]) {
      for (const seed of ["99999999999999999999", "4294967296"]) {
        const r = await run([...args, "--seed", seed]);
        expect([r.code, r.stderr]).toEqual([
          1,
          `error: option '--seed <s>' argument '${seed}' is invalid. --seed must be an integer in [0, 4294967295] (got "${seed}")\n`,
        ]);
      }
      const [command, , file, ...rest] = args;
      expect(file).toBe(data);
      const empty = await run([command!, "--data", "", ...rest]);
      expect([empty.code, empty.stderr]).toEqual([
        1,
        "error: option '--data <file>' argument '' is invalid. --data must name a file (got an empty path)\n",
      ]);
    }
  });

  it("refuses train's gate flags without --auto-promote, which alone uses them", async () => {
    const threshold = await run(trainArgs("--promotion-threshold", "0.5"));
    expect([threshold.code, threshold.stderr]).toEqual([
      1,
      "error: --promotion-threshold is only used with --auto-promote (the gate it sets) (got 0.5)\n",
    ]);
    const metric = await run(trainArgs("--metric", "accuracy"));
    expect([metric.code, metric.stderr]).toEqual([
      1,
      'error: --metric is only used with --auto-promote (the metric of its gate) (got "accuracy")\n',
    ]);
    await withSqlite(dbPath(), async (store) => {
      expect(await store.models.list("flags")).toEqual([]);
    });
  });
});
