import { readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ArtifactError } from "@mlops/models";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";
import { OptionError } from "../errors.js";
import { mergeShareFiles, nodeRankFromEnv, shareRange } from "./distributed.js";

const cli = useCliFixture("mlops-shares-", 400);
const { run } = cli;

describe("shareRange", () => {
  it("tiles the trees in rank order, balanced", () => {
    const ranges = [0, 1, 2].map((rank) => shareRange({ rank, worldSize: 3 }, 10));
    expect(ranges).toEqual([
      { from: 0, to: 3 },
      { from: 3, to: 6 },
      { from: 6, to: 10 },
    ]);
    expect(() => shareRange({ rank: 0, worldSize: 4 }, 3)).toThrow(
      /^--instances must not exceed the number of trees \(3\)/,
    );
  });
});

describe("nodeRankFromEnv", () => {
  it("reads RANK and WORLD_SIZE and names what is wrong", () => {
    expect(nodeRankFromEnv({ RANK: "2", WORLD_SIZE: "3" })).toEqual({ rank: 2, worldSize: 3 });
    expect(() => nodeRankFromEnv({ WORLD_SIZE: "3" })).toThrow(OptionError);
    expect(() => nodeRankFromEnv({ WORLD_SIZE: "3" })).toThrow(/^RANK /);
    expect(() => nodeRankFromEnv({ RANK: "3", WORLD_SIZE: "3" })).toThrow(
      /RANK must be below WORLD_SIZE/,
    );
    expect(() => nodeRankFromEnv({ RANK: "0", WORLD_SIZE: "x" })).toThrow(/^WORLD_SIZE /);
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

    const reseeded = [...common.slice(0, -2), "--seed", "4", "--from-shares", shares];
    const other = await run(["train", ...reseeded]);
    expect(other.stderr).toMatch(
      /^error: --from-shares must hold the forest of --trees 7 --seed 4/,
    );
    await unlink(join(shares, "share-0001.json"));
    const gap = await run(["train", ...common, "--from-shares", shares]);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toMatch(/share-0002\.json: expected rank 1 of 3 starting at tree 2/);
  });

  it("refuses to run outside a distributed job", async () => {
    const r = await run([
      "forest",
      "share",
      "--data",
      cli.data,
      "--label",
      "label",
      "--out",
      cli.root,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: RANK .*a forest share runs as a node of a distributed job/);
    await expect(mergeShareFiles(cli.root)).rejects.toThrow(ArtifactError);
  });
});
