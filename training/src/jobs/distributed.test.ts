import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";
import { loadDataset } from "../dataset.js";
import { OptionError } from "../errors.js";
import { resolveForestOptions } from "../forest/options.js";
import { mergeShareFiles, nodeRankFromEnv, shareProvenance, shareRange } from "./distributed.js";

const cli = useCliFixture("mlops-shares-", 400);
const { run } = cli;

/** `mlops forest share` of the demo data into `out`, as node `env` (RANK, WORLD_SIZE) of a job. */
const share = (out: string, env: Record<string, string>, ...more: string[]) =>
  run(["forest", "share", "--data", cli.data, "--label", "label", ...more, "--out", out], env);

describe("shareRange", () => {
  it("tiles the trees in rank order, balanced", () => {
    const ranges = [0, 1, 2].map((rank) => shareRange({ rank, worldSize: 3 }, 10));
    expect(ranges).toEqual([
      { from: 0, to: 3 },
      { from: 3, to: 6 },
      { from: 6, to: 10 },
    ]);
    expect(() => shareRange({ rank: 0, worldSize: 4 }, 3)).toThrow(
      "WORLD_SIZE must not exceed --trees (3): each node of the job trains at least one tree (got 4)",
    );
  });
});

describe("nodeRankFromEnv", () => {
  it("reads RANK and WORLD_SIZE and names what is wrong", () => {
    expect(nodeRankFromEnv({ RANK: "2", WORLD_SIZE: "3" })).toEqual({ rank: 2, worldSize: 3 });
    expect(() => nodeRankFromEnv({ WORLD_SIZE: "3" })).toThrow(OptionError);
    const why = "a forest share runs as a node of a distributed job";
    const message = (env: Record<string, string>) =>
      (() => {
        try {
          nodeRankFromEnv(env);
        } catch (error) {
          return (error as Error).message;
        }
        return "no error";
      })();
    expect(message({ WORLD_SIZE: "3" })).toBe(`RANK must be set to an integer ≥ 0: ${why}`);
    expect(message({ RANK: "0" })).toBe(`WORLD_SIZE must be set to an integer ≥ 1: ${why}`);
    expect(message({ RANK: "3", WORLD_SIZE: "3" })).toBe(
      `RANK must be below WORLD_SIZE (3): ${why} (got "3")`,
    );
    expect(message({ RANK: "0", WORLD_SIZE: "0" })).toBe(
      `WORLD_SIZE must be an integer ≥ 1: ${why} (got "0")`,
    );
    expect(message({ RANK: "-1", WORLD_SIZE: "2" })).toBe(
      `RANK must be an integer ≥ 0: ${why} (got "-1")`,
    );
    expect(message({ RANK: "0", WORLD_SIZE: "x" })).toBe(
      `WORLD_SIZE must be an integer ≥ 1: ${why} (got "x")`,
    );
  });
});

describe("mlops forest share, then mlops train --from-shares", () => {
  it("N nodes' shares merge byte for byte into the forest one node fits, and register", async () => {
    const common = ["--data", cli.data, "--label", "label", "--trees", "7", "--seed", "3"];
    const shares = join(cli.root, "shares");
    for (const rank of [2, 0, 1]) {
      const r = await run(["forest", "share", ...common, "--out", shares, "--json"], {
        RANK: String(rank),
        WORLD_SIZE: "3",
      });
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toMatchObject({ rank, worldSize: 3 });
    }
    const artifacts = ["--artifacts", join(cli.root, "artifacts"), "--json"];
    const m = await run(["train", ...common, "--from-shares", shares, ...artifacts]);
    expect(m.stderr).toBe("");
    const merged = JSON.parse(m.stdout);
    const single = JSON.parse((await run(["train", ...common, ...artifacts])).stdout);
    expect(merged.model).toEqual({ name: "small", version: 1 });
    expect(await readFile(join(merged.artifact, "model.json"), "utf8")).toBe(
      await readFile(join(single.artifact, "model.json"), "utf8"),
    );
    expect(merged.metrics).toEqual(single.metrics);

    const runsBefore = await cli.withStore((store) => store.runs.list());
    const reseeded = [...common.slice(0, -2), "--seed", "4", "--from-shares", shares];
    const other = await run(["train", ...reseeded, ...artifacts]);
    expect(other.stderr).toBe(
      `error: --from-shares must hold shares trained on this call's data and flags: ${join(shares, "share-0000.json")} differs in --seed (the share's 3, this call's 4)\n`,
    );
    const moreTrees = await run([
      "train",
      ...common.slice(0, 4),
      "--trees",
      "8",
      "--seed",
      "3",
      "--from-shares",
      shares,
    ]);
    expect(moreTrees.stderr).toMatch(/differs in --trees \(the share's 7, this call's 8\)\n$/);
    await unlink(join(shares, "share-0001.json"));
    const gap = await run(["train", ...common, "--from-shares", shares]);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toBe(
      `error: --from-shares ${join(shares, "share-0002.json")}: expected rank 1 of 3 starting at tree 2 (got rank 2 of 3 from tree 4)\n`,
    );
    await unlink(join(shares, "share-0002.json"));
    const missing = await run(["train", ...common, "--from-shares", shares]);
    expect(missing.stderr).toBe(
      `error: --from-shares must hold all 3 shares of the forest: ${shares} holds 1, and rank 1 (share-0001.json) is missing\n`,
    );
    // Refused before anything is recorded: no run, no version.
    await cli.withStore(async (store) => {
      expect(await store.runs.list()).toHaveLength(runsBefore.length);
      expect(await store.models.list("small")).toHaveLength(2);
    });
  });

  it("refuses shares of other data or another label, naming what differs, and records nothing", async () => {
    // The shares: 5 features, label "label". The call: 2 features of another file, label "split".
    const shares = join(cli.root, "other-shares");
    for (const rank of [0, 1]) {
      const r = await share(shares, { RANK: String(rank), WORLD_SIZE: "2" }, "--trees", "10");
      expect(r.code).toBe(0);
    }
    const other = join(cli.root, "other.csv");
    const rows = Array.from({ length: 40 }, (_, i) => `${i},${i % 3},${i % 2 ? "train" : "test"}`);
    await writeFile(other, `a,b,split\n${rows.join("\n")}\n`);
    const artifacts = join(cli.root, "other-artifacts");
    const args = ["--data", other, "--label", "split", "--trees", "10", "--artifacts", artifacts];
    const before = await cli.withStore((store) => store.runs.list());
    const merged = await run(["train", ...args, "--from-shares", shares]);
    expect(merged.code).toBe(1);
    const [theirs, ours] = await Promise.all(
      [
        [cli.data, "label"],
        [other, "split"],
      ].map(
        async ([data, label]) => (await loadDataset(data!, { label: label!, seed: 42 })).sha256,
      ),
    );
    expect(merged.stderr).toBe(
      `error: --from-shares must hold shares trained on this call's data and flags: ${join(shares, "share-0000.json")} differs in ` +
        `--data (the share's sha256 ${theirs!.slice(0, 12)}…, this call's sha256 ${ours!.slice(0, 12)}…); ` +
        `--label (the share's "label", this call's "split"); ` +
        `split (the share's column, this call's stratified); ` +
        `features (the share's 5: "f0", "f1", "f2", "f3", "f4"; this call's 2: "a", "b"; first different at position 1); ` +
        `classes (the share's 2: "0", "1"; this call's 2: "test", "train"; first different at position 1)\n`,
    );
    await cli.withStore(async (store) => {
      expect(await store.runs.list()).toHaveLength(before.length);
      expect(await store.models.list("other")).toEqual([]);
    });
    expect(existsSync(artifacts)).toBe(false);
  });

  it("names --from-shares and the rule when the folder or a share cannot be used", async () => {
    const expected = shareProvenance(
      await loadDataset(cli.data, { label: "label", seed: 42 }),
      resolveForestOptions({ nEstimators: 10, seed: 42 }),
    );
    const rule =
      "--from-shares must be a folder holding the share-<rank>.json files of mlops forest share";
    const nowhere = join(cli.root, "nowhere");
    await expect(mergeShareFiles(nowhere, expected)).rejects.toThrow(
      `${rule} (no such file or directory) (got "${nowhere}")`,
    );
    await expect(mergeShareFiles(cli.data, expected)).rejects.toThrow(
      `${rule} (it is a file) (got "${cli.data}")`,
    );
    const empty = join(cli.root, "empty");
    await mkdir(empty);
    await expect(mergeShareFiles(empty, expected)).rejects.toThrow(OptionError);
    await expect(mergeShareFiles(empty, expected)).rejects.toThrow(`${rule} (it holds none)`);

    // A share written before shares recorded what they were trained on cannot be checked.
    const old = join(cli.root, "old-shares");
    await mkdir(old);
    const oldShare = join(old, "share-0000.json");
    await writeFile(
      oldShare,
      JSON.stringify({
        rank: 0,
        worldSize: 1,
        trees: { from: 0, to: 10 },
        model: { name: "RFClassifier", baseModel: {} },
      }),
    );
    await expect(mergeShareFiles(old, expected)).rejects.toThrow(
      `--from-shares ${oldShare}: has no record of the data and flags it was trained with (written by an older mlops forest share), so it cannot be checked against this call: run mlops forest share again`,
    );
    await writeFile(oldShare, "{");
    await expect(mergeShareFiles(old, expected)).rejects.toThrow(
      new RegExp(
        `^--from-shares cannot read ${oldShare}: it is not valid JSON`.replaceAll("/", "\\/"),
      ),
    );

    // Through the CLI: the same messages, and nothing recorded.
    const before = await cli.withStore((store) => store.runs.list());
    const train = (dir: string) =>
      run(["train", "--data", cli.data, "--label", "label", "--trees", "10", "--from-shares", dir]);
    expect((await train(nowhere)).stderr).toBe(
      `error: ${rule} (no such file or directory) (got "${nowhere}")\n`,
    );
    expect((await train(cli.data)).stderr).toBe(
      `error: ${rule} (it is a file) (got "${cli.data}")\n`,
    );
    expect((await train(old)).code).toBe(1);
    expect(await cli.withStore((store) => store.runs.list())).toHaveLength(before.length);
  });

  it("names WORLD_SIZE when it exceeds the trees", async () => {
    const r = await share(cli.root, { RANK: "0", WORLD_SIZE: "200" }, "--trees", "100");
    expect([r.code, r.stderr]).toEqual([
      1,
      "error: WORLD_SIZE must not exceed --trees (100): each node of the job trains at least one tree (got 200)\n",
    ]);
    expect((await readdir(cli.root)).filter((n) => n.startsWith("share-"))).toEqual([]);
  });

  it("refuses to run outside a distributed job", async () => {
    const r = await share(cli.root, {});
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: RANK must be set to an integer ≥ 0: a forest share runs as a node of a distributed job\n",
    );
  });
});
