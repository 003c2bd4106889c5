import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, withSqlite } from "../../test-support/cli.js";

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
