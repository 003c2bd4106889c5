import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliFixture } from "../../test-support/cli.js";

const cli = useCliFixture("mlops-sweep-", 1500, "churn.csv");

/** Runs `mlops sweep` on the fixture's data with `args` and `--json`; returns what it printed. */
async function sweepJson(args: string[]) {
  const sweep = await cli.run(["sweep", "--data", cli.data, "--label", "label", ...args, "--json"]);
  expect(sweep.stderr).toBe("");
  return JSON.parse(sweep.stdout);
}

/** Steps 1, 2, …, n. */
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("mlops sweep", () => {
  it("stops on SIGINT: running trials and the sweep are KILLED, and it exits 130", async () => {
    const space = join(cli.root, "space-interrupted.json");
    await writeFile(space, JSON.stringify({ maxDepth: { type: "choice", values: [4, 8] } }));
    const timer = setTimeout(() => process.emit("SIGINT", "SIGINT"), 300);
    const started = Date.now();
    const stopped = await cli.run([
      ...["sweep", "--data", cli.data, "--label", "label", "--space", space],
      ...["--trees", "20000", "--max-trials", "6", "--experiment", "interrupted", "--json"],
    ]);
    clearTimeout(timer);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toBe("");
    expect(stopped.stderr).toMatch(
      /^interrupted by SIGINT: runs it had not finished are marked KILLED/,
    );
    await cli.withStore(async (store) => {
      const [sweep] = await store.runs
        .list({ experimentName: "interrupted" })
        .then((runs) => runs.filter((r) => r.parent_run_id === null));
      expect(sweep?.status).toBe("KILLED");
      const trials = await store.runs.list({ parentRunId: sweep!.run_id });
      // The one trial running when the signal came, cut short; no trial started after it.
      expect(trials.map((t) => t.status)).toEqual(["KILLED"]);
      expect(trials[0]!.tags["mlops.trial.reason"]).toBe("the sweep was interrupted by SIGINT");
    });
  });

  it("tracks each trial as a child run and stops weak ones by the Bandit rule", async () => {
    const space = join(cli.root, "space.json");
    await writeFile(
      space,
      JSON.stringify({ maxDepth: { type: "choice", values: [12, 1, 10, 1] } }),
    );
    const result = await sweepJson([
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
    ]);
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
      expect(killed.params).toEqual({ algorithm: "forest", nEstimators: 20, maxDepth: 1 });
      expect(killed.tags["mlops.trial.reason"]).toMatch(/^bandit at interval 1/);
      expect(killed.metrics.validation_accuracy.map((p) => p.step)).toEqual([5]);
      const best = children.find((c) => c.run_id === result.best.run_id)!;
      expect(best.metrics.validation_accuracy.map((p) => p.step)).toEqual([5, 10, 15, 20]);
    });
  });

  it("sweeps gbdt, stopping weak trials at a boosting round and tracking metrics by round", async () => {
    const space = join(cli.root, "gbdt-space.json");
    await writeFile(space, JSON.stringify({ maxDepth: { type: "choice", values: [6, 1] } }));
    const result = await sweepJson([
      "--algorithm",
      "gbdt",
      "--space",
      space,
      "--sampling",
      "grid",
      "--trees",
      "25",
      "--policy",
      "bandit",
      "--slack-factor",
      "0.05",
      "--delay-evaluation",
      "3",
    ]);
    expect(result).toMatchObject({ algorithm: "gbdt", trials: 2, terminated: 1, failed: 0 });
    await cli.withStore(async (store) => {
      const parent = await store.runs.get(result.run_id);
      expect(parent?.params).toMatchObject({
        algorithm: "gbdt",
        sampling: "grid",
        seed: "none",
        report_every: 1,
        timeout_s: "none",
        threads: 1,
      });
      expect(JSON.parse(String(parent?.params.policy))).toEqual({
        kind: "bandit",
        slackFactor: 0.05,
        evaluationInterval: 1,
        delayEvaluation: 3,
      });
      expect(JSON.parse(String(parent?.params.fixed))).toEqual({
        minSamplesLeaf: 1,
        nEstimators: 25,
      });
      const children = await store.runs.list({ parentRunId: result.run_id });
      const killed = children.find((c) => c.status === "KILLED")!;
      expect(killed.params).toEqual({
        algorithm: "gbdt",
        minSamplesLeaf: 1,
        nEstimators: 25,
        maxDepth: 1,
      });
      const steps = killed.metrics.validation_accuracy.map((p) => p.step);
      // Stopped at the round the policy judged, well before the 25th.
      expect(steps).toEqual(upTo(steps.length));
      expect(steps.length).toBeGreaterThanOrEqual(3);
      expect(steps.length).toBeLessThan(25);
      expect(killed.metrics.validation_loss.map((p) => p.step)).toEqual(steps);
      expect(killed.tags["mlops.trial.reason"]).toMatch(
        new RegExp(`^bandit at interval ${steps.length}: `),
      );
      const best = children.find((c) => c.run_id === result.best.run_id)!;
      expect(best.metrics.validation_accuracy.map((p) => p.step)).toEqual(upTo(25));
    });
  });

  it("sweeps the design's gbdt space when no space is given", async () => {
    const result = await sweepJson(["--algorithm", "gbdt", "--max-trials", "2", "--seed", "5"]);
    expect(result).toMatchObject({ algorithm: "gbdt", trials: 2, failed: 0 });
    expect(Object.keys(result.best.params).sort()).toEqual([
      "learningRate",
      "maxDepth",
      "minSamplesSplit",
      "nEstimators",
    ]);
    await cli.withStore(async (store) => {
      const parent = await store.runs.get(result.run_id);
      expect(JSON.parse(String(parent?.params.space)).learningRate).toEqual({
        type: "loguniform",
        min: Math.log(0.01),
        max: Math.log(0.3),
      });
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
    ).toMatch(/^error: --space must be a readable JSON file: no such file or directory/);
    await writeFile(space, "{maxDepth: 3}");
    expect((await cli.run(base)).stderr).toMatch(
      /^error: --space must be a readable JSON file: it is not valid JSON \(Expected/,
    );
    await writeFile(space, JSON.stringify({ maxDepth: { type: "choice", values: [2] } }));
    expect((await cli.run([...base, "--policy", "hyperband"])).stderr).toMatch(
      /^error: --policy must be/,
    );
    // Policy flags by their names: the one each belongs to, the ones each policy needs, and the
    // policy's own rules under the flag's name.
    for (const [extra, message] of [
      [["--policy", "bandit"], "--policy bandit needs one of --slack-factor and --slack-amount"],
      [
        ["--policy", "bandit", "--slack-factor", "0.1", "--slack-amount", "0.1"],
        "--policy bandit needs one of --slack-factor and --slack-amount, not both",
      ],
      [
        ["--policy", "bandit", "--slack-factor", "-1"],
        "--slack-factor must be a finite number > 0",
      ],
      [
        ["--policy", "median", "--slack-factor", "0.1"],
        "--slack-factor applies to --policy bandit",
      ],
      [["--truncation-percentage", "10"], "--truncation-percentage applies to --policy truncation"],
      // The schedule flags have no policy to schedule under --policy none.
      [
        ["--evaluation-interval", "2"],
        "--evaluation-interval applies to --policy bandit, median or truncation only (got 2)",
      ],
      [
        ["--policy", "none", "--delay-evaluation", "0"],
        "--delay-evaluation applies to --policy bandit, median or truncation only (got 0)",
      ],
      // Azure ML documents no meaning for an evaluation interval of 0 (see README, Sweeps).
      [
        ["--policy", "median", "--evaluation-interval", "0"],
        "option '--evaluation-interval <n>' argument '0' is invalid. --evaluation-interval must be an integer ≥ 1",
      ],
      [["--policy", "truncation"], "--policy truncation needs --truncation-percentage"],
      [
        ["--policy", "truncation", "--truncation-percentage", "100"],
        "--truncation-percentage must be an integer in [1, 99] (got 100)",
      ],
      [
        ["--policy", "median", "--sampling", "bayesian"],
        '--policy must be "none" with --sampling bayesian',
      ],
    ] as const) {
      const result = await cli.run([...base, ...extra]);
      expect([result.code, result.stderr]).toEqual([
        1,
        expect.stringContaining(`error: ${message}`),
      ]);
    }
    expect((await cli.run(base.slice(0, 5))).stderr).toMatch(
      /^error: --space is required for --algorithm forest/,
    );
    expect((await cli.run([...base, "--algorithm", "xgboost"])).stderr).toMatch(
      /^error: --algorithm must be "forest" or "gbdt" \(got "xgboost"\)/,
    );
    await writeFile(space, JSON.stringify({ maxFeatures: { type: "choice", values: ["sqrt"] } }));
    expect((await cli.run([...base, "--algorithm", "gbdt"])).stderr).toMatch(
      /^error: space\.maxFeatures choice can draw a value the gbdt trainer refuses: maxFeatures is not a gbdt option/,
    );
    // A misspelt option fails before any trial, for the forest as for gbdt.
    await writeFile(space, JSON.stringify({ max_depth: { type: "choice", values: [3] } }));
    expect((await cli.run(base)).stderr).toMatch(
      /^error: space\.max_depth choice can draw a value the forest trainer refuses: max_depth is not a forest option/,
    );
  });

  it("fails when no trial completes, after saying why each failed", async () => {
    // The data has 5 features: every trial fails on it, so there is no model to pick.
    const space = join(cli.root, "too-wide.json");
    await writeFile(space, JSON.stringify({ maxFeatures: { type: "choice", values: [9] } }));
    const args = ["--space", space, "--max-trials", "2", "--trees", "5"];
    const run = await cli.run(["sweep", "--data", cli.data, "--label", "label", ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "trial 0: failed after 0 trees (maxFeatures must be at most the 5 features (got 9))\n",
    );
    expect(run.stderr).toMatch(/\nerror: the sweep completed no trial \(2 failed\)\n$/);
    expect(run.stdout).toMatch(/: 2 trials, 0 stopped early, 2 failed\n$/);
    const json = await cli.run([
      "sweep",
      "--data",
      cli.data,
      "--label",
      "label",
      ...args,
      "--json",
    ]);
    expect([json.code, JSON.parse(json.stdout).best]).toEqual([1, null]);
  });
});
