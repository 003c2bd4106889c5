import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, withSqlite } from "../../test-support/cli.js";
import { loadDataset, stratifiedSplit, TEST_FRACTION } from "../dataset.js";
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

/**
 * On a file without a split column each version held out its own seed's rows: the gate scores a
 * version on those, and compares it with the champion on the rows both held out.
 */
describe("mlops gate on the rows a version held out", () => {
  /** The first `rows` rows of the data without its split column, as `name`. */
  const unsplit = async (name: string, rows: number) => {
    const file = join(root, name);
    const lines = (await readFile(data, "utf8"))
      .trimEnd()
      .split("\n")
      .slice(0, rows + 1);
    await writeFile(file, lines.map((l) => l.split(",").slice(0, -1).join(",")).join("\n"));
    return file;
  };
  const trainOn = async (file: string, name: string, seed: number, trees = 15) => {
    const r = await run([
      "train",
      ...["--data", file, "--label", "label", "--name", name, "--trees", String(trees)],
      ...["--seed", String(seed), "--artifacts", join(root, "artifacts"), "--json"],
    ]);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout);
  };
  const gateOn = (file: string, model: string, ...extra: string[]) =>
    run([
      "gate",
      ...["--model", model, "--data", file, "--label", "label"],
      ...["--promotion-threshold", "0.5", "--json", ...extra],
    ]);
  const championOf = (name: string, version: number) =>
    withSqlite(dbPath(), (store) => store.models.setAlias(name, "champion", version));
  /** The rows `mlops train --seed seed` holds out of `file`. */
  const heldOut = async (file: string, seed: number) => {
    const dataset = await loadDataset(file, { label: "label" });
    return stratifiedSplit(dataset.y, dataset.classNames.length, TEST_FRACTION, seed).test;
  };

  it("scores a version on its recorded seed's held-out rows, and refuses another --seed", async () => {
    const plain = await unsplit("seeded.csv", 600);
    const trained = await trainOn(plain, "seeded", 9);
    const r = await gateOn(plain, "seeded@1");
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).value).toBe(trained.metrics.accuracy);
    expect((await gateOn(plain, "seeded@1", "--seed", "9")).code).toBe(0);
    const other = await gateOn(plain, "seeded@1", "--seed", "42");
    expect([other.code, other.stderr]).toEqual([
      1,
      "error: --seed is not the seed seeded@1 was trained with (--seed 9): the gate scores a version on the rows its own training held out; drop --seed (got 42)\n",
    ]);
    const elsewhere = await gateOn(data, "seeded@1");
    expect([elsewhere.code, elsewhere.stderr]).toEqual([
      1,
      `error: --data must be the file seeded@1 was trained on, to score it on the rows it held out: seeded@1 was trained on another file (sha256 ${trained.data_hash.slice(0, 12)}…, this one's ${(await loadDataset(data, { label: "label" })).sha256.slice(0, 12)}…) (got "${data}")\n`,
    ]);
  });

  it("compares it with a champion of another seed on the rows both held out, none either trained on", async () => {
    const plain = await unsplit("pair.csv", 600);
    await trainOn(plain, "pair", 1, 40);
    await championOf("pair", 1);
    await trainOn(plain, "pair", 2, 40);
    const r = await gateOn(plain, "pair@2");
    expect(r.stderr).toBe("");
    const { champion } = JSON.parse(r.stdout).promotion;
    // Those rows written to a file of their own, and both versions scored on all of it.
    const two = new Set(await heldOut(plain, 2));
    const both = (await heldOut(plain, 1)).filter((row) => two.has(row));
    const [header, ...lines] = (await readFile(plain, "utf8")).trimEnd().split("\n");
    const shared = join(root, "pair-shared.csv");
    await writeFile(shared, [header, ...Array.from(both, (row) => lines[row])].join("\n"));
    const accuracy = async (model: string) => {
      const scored = await run([
        "evaluate",
        "--model",
        model,
        "--data",
        shared,
        "--label",
        "label",
        "--json",
      ]);
      return JSON.parse(scored.stdout).metrics.accuracy;
    };
    expect(champion).toEqual({
      version: 1,
      value: await accuracy("pair@1"),
      candidate_value: await accuracy("pair@2"),
      rows: both.length,
      basis: "both-held-out",
      note: null,
    });
  });

  it("on too few rows both held out, compares on the candidate's, where only the champion can be flattered", async () => {
    const plain = await unsplit("tiny.csv", 100);
    await trainOn(plain, "tiny", 1);
    await championOf("tiny", 1);
    await trainOn(plain, "tiny", 2);
    const out = JSON.parse((await gateOn(plain, "tiny@2")).stdout);
    expect(out.promotion.champion).toMatchObject({
      version: 1,
      rows: (await heldOut(plain, 2)).length,
      basis: "candidate-held-out",
    });
    expect(out.promotion.champion.note).toMatch(
      /^v2 \(--seed 2\) and champion v1 \(--seed 1\) both held out only \d+ rows, too few to judge on \(each class needs 5 \(.*\)\), so the champion may have trained on some of these rows and its score may be flattered; train with the champion's seed, or give the file a split column/,
    );
    expect(out.promotion.reason).toContain("on v2's ");
    // The champion's seed: the same held-out rows, the fairest there are, however few.
    const tinier = await unsplit("tinier.csv", 60);
    await trainOn(tinier, "tinier", 1);
    await championOf("tinier", 1);
    await trainOn(tinier, "tinier", 1, 30);
    const small = JSON.parse((await gateOn(tinier, "tinier@2")).stdout);
    expect(small.promotion.champion).toMatchObject({
      rows: (await heldOut(tinier, 1)).length,
      basis: "both-held-out",
      note: null,
    });
  });

  it("compares with a champion trained on another file on the candidate's held-out rows, saying so", async () => {
    const plain = await unsplit("moved.csv", 600);
    await trainOn(data, "moved", 1);
    await championOf("moved", 1);
    await trainOn(plain, "moved", 1);
    const out = JSON.parse((await gateOn(plain, "moved@2")).stdout);
    expect(out.promotion.champion).toMatchObject({
      version: 1,
      rows: (await heldOut(plain, 1)).length,
      basis: "candidate-held-out",
    });
    expect(out.promotion.champion.note).toMatch(
      /^champion v1 may have trained on some of these rows \(moved@1 was trained on another file \(sha256 [0-9a-f]{12}…, this one's [0-9a-f]{12}…\)\): its score may be flattered$/,
    );
  });

  it("never makes the champion its own challenger", async () => {
    const plain = await unsplit("self.csv", 600);
    await trainOn(plain, "self", 1);
    await championOf("self", 1);
    const out = JSON.parse((await gateOn(plain, "self@champion")).stdout);
    expect(out.promotion).toEqual({
      promoted: false,
      reason:
        "v1 is the champion: it cannot also be the challenger (the A/B test would compare it with itself)",
      champion: null,
    });
    expect(await withSqlite(dbPath(), (store) => store.models.aliases("self"))).toEqual({
      champion: 1,
    });
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
