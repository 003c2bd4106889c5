import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";

const cli = useCliFixture("mlops-sweep-", 1500, "churn.csv");

describe("mlops sweep", () => {
  it("tracks each trial as a child run and stops weak ones by the Bandit rule", async () => {
    const space = join(cli.root, "space.json");
    await writeFile(
      space,
      JSON.stringify({ maxDepth: { type: "choice", values: [12, 1, 10, 1] } }),
    );
    const sweep = await cli.run([
      "sweep",
      "--data",
      cli.data,
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
    await cli.withStore(async (store) => {
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
    const space = join(cli.root, "bad-space.json");
    await writeFile(space, JSON.stringify({ maxDepth: { type: "uniform", min: 3, max: 1 } }));
    const base = ["sweep", "--data", cli.data, "--label", "label", "--space", space];
    expect((await cli.run(base)).stderr).toMatch(
      /^error: space.maxDepth uniform needs finite min < max/,
    );
    expect(
      (await cli.run([...base.slice(0, 5), "--space", join(cli.root, "none.json")])).stderr,
    ).toMatch(/^error: --space must be a readable JSON file/);
    await writeFile(space, JSON.stringify({ maxDepth: { type: "choice", values: [2] } }));
    expect((await cli.run([...base, "--policy", "hyperband"])).stderr).toMatch(
      /^error: --policy must be/,
    );
    expect((await cli.run([...base, "--policy", "bandit"])).stderr).toMatch(
      /^error: slackFactor or slackAmount/,
    );
  });
});
