import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Dataset, parseDataset } from "../dataset.js";
import { OptionError } from "../errors.js";
import { plannedTrials, runSweep, type SweepDefinition, type SweepResult } from "./run.js";
import type { TerminationPolicy } from "./termination.js";

// 2,000 rows of the demo file keep each trial to a few milliseconds.
const text = readFileSync(new URL("../../data/demo-classification.csv", import.meta.url), "utf8")
  .split("\n")
  .slice(0, 2001)
  .join("\n");
const dataset: Dataset = parseDataset(new TextEncoder().encode(text), { label: "label" });

const base: SweepDefinition = {
  space: { maxDepth: { type: "choice", values: [12, 1, 10, 1] } },
  sampling: { kind: "grid" },
  fixed: { nEstimators: 20 },
  maxTrials: 4,
  reportEvery: 5,
};

describe("runSweep", () => {
  it("runs every grid trial and reports validation accuracy at each interval", async () => {
    const seen: number[] = [];
    const sweep = await runSweep(dataset, base, { onTrial: (t) => seen.push(t.index) });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(sweep.trials.map((t) => t.status)).toEqual([
      "completed",
      "completed",
      "completed",
      "completed",
    ]);
    expect(sweep.trials.map((t) => t.history.length)).toEqual([4, 4, 4, 4]);
    expect(sweep.trials.map((t) => t.trained)).toEqual([20, 20, 20, 20]);
    // Stumps (depth 1) are worse than deep trees on this data.
    expect(sweep.best?.assignment.maxDepth).not.toBe(1);
    expect(sweep.terminated).toBe(0);
  });

  it("terminates trials by the Bandit rule and says why", async () => {
    const sweep = await runSweep(dataset, {
      ...base,
      policy: { kind: "bandit", slackFactor: 0.01 },
    });
    const byDepth = sweep.trials.map((t) => [t.assignment.maxDepth, t.status]);
    expect(byDepth).toEqual([
      [12, "completed"],
      [1, "terminated"],
      [10, "completed"],
      [1, "terminated"],
    ]);
    expect(sweep.terminated).toBe(2);
    const stump = sweep.trials[1];
    expect(stump.trained).toBe(5);
    expect(stump.steps).toEqual([5]);
    expect(stump.history).toHaveLength(1);
    expect(stump.reason).toMatch(/^bandit at interval 1: .* outside the slack$/);
  });

  describe("with trials running at once", () => {
    // On this data, boosting at learning rate 0.01 stays at 0.513 for its first rounds, and at
    // 0.3 starts at 0.909. Both trials report interval 1 before either trains its second round.
    const pair: SweepDefinition = {
      algorithm: "gbdt",
      space: { learningRate: { type: "choice", values: [0.01, 0.3] } },
      sampling: { kind: "grid" },
      fixed: { nEstimators: 8, maxLeafNodes: 31, minSamplesLeaf: 1 },
      maxTrials: 2,
      maxConcurrent: 2,
    };
    const outcome = (sweep: SweepResult) =>
      sweep.trials.map((t) => [t.status, t.history.length, t.reason?.split(":")[0]]);

    it.each<[string, TerminationPolicy]>([
      ["truncation", { kind: "truncation", truncationPercentage: 50 }],
      ["bandit", { kind: "bandit", slackFactor: 0.1 }],
      ["median", { kind: "median" }],
    ])(
      "judges the trial that reported first again once its peer reports (%s)",
      async (kind, policy) => {
        const sweep = await runSweep(dataset, { ...pair, policy });
        expect(sweep.trials[0].history[0]).toBeCloseTo(0.513, 3);
        expect(sweep.trials[1].history[0]).toBeCloseTo(0.909, 3);
        // Trial 0 reported interval 1 alone; trial 1's report judged it again, and stopped it there.
        expect(outcome(sweep)).toEqual([
          ["terminated", 1, `${kind} at interval 1`],
          ["completed", 8, undefined],
        ]);
        // The same stops every time: the trials share this thread and report in a fixed order.
        expect(outcome(await runSweep(dataset, { ...pair, policy }))).toEqual(outcome(sweep));
        // One at a time, trial 0 has no peer to be judged against, and trial 1 leads.
        const sequential = await runSweep(dataset, { ...pair, policy, maxConcurrent: 1 });
        expect(sequential.trials.map((t) => t.status)).toEqual(["completed", "completed"]);
      },
    );
  });

  it("records when each interval was measured", async () => {
    const before = Date.now();
    const sweep = await runSweep(dataset, { ...base, maxTrials: 1 });
    const [trial] = sweep.trials;
    expect(trial.times).toHaveLength(trial.history.length);
    expect(trial.times[0]).toBeGreaterThanOrEqual(Math.max(before, trial.startTime));
    expect(trial.times.every((t, i) => i === 0 || t >= trial.times[i - 1])).toBe(true);
    expect(trial.times.at(-1)).toBeLessThanOrEqual(trial.endTime);
  });

  it("refuses a space that can draw options the forest refuses, before any trial", async () => {
    const tried: number[] = [];
    const refused = (space: SweepDefinition["space"]) =>
      runSweep(dataset, { ...base, space, maxTrials: 2 }, { onTrial: (t) => tried.push(t.index) });
    await expect(refused({ minSamplesLeaf: { type: "choice", values: [3, 0] } })).rejects.toThrow(
      "space.minSamplesLeaf choice can draw a value the forest trainer refuses: minSamplesLeaf must be an integer ≥ 1 (got 0)",
    );
    // A misspelt option would have failed every trial.
    await expect(refused({ max_depth: { type: "choice", values: [3] } })).rejects.toThrow(
      /^space\.max_depth choice can draw a value the forest trainer refuses: max_depth is not a forest option \(known: nEstimators, /,
    );
    // randint draws from 0, which no depth takes.
    await expect(refused({ maxDepth: { type: "randint", upper: 8 } })).rejects.toThrow(
      "space.maxDepth randint can draw a value the forest trainer refuses: maxDepth must be an integer ≥ 1 (got 0)",
    );
    await expect(
      runSweep(dataset, { ...base, fixed: { nEstimators: 0 } as SweepDefinition["fixed"] }),
    ).rejects.toThrow(
      "fixed holds a value the forest trainer refuses: nEstimators must be an integer in [1, 100000] (got 0)",
    );
    expect(tried).toEqual([]);
  });

  it("records a trial whose options the data refuses as failed and carries on", async () => {
    const sweep = await runSweep(dataset, {
      ...base,
      space: { maxFeatures: { type: "choice", values: [9, 3] } },
      maxTrials: 2,
    });
    expect(sweep.trials.map((t) => t.status)).toEqual(["failed", "completed"]);
    expect(sweep.trials[0].reason).toBe("maxFeatures must be at most the 5 features (got 9)");
  });

  it("runs trials concurrently and draws random assignments reproducibly", async () => {
    const random: SweepDefinition = {
      ...base,
      space: {
        minSamplesSplit: { type: "quniform", min: 2, max: 8, q: 1 },
        maxFeatures: { type: "choice", values: ["sqrt", "all"] },
      },
      sampling: { kind: "random", seed: 5 },
      maxTrials: 3,
      maxConcurrent: 2,
    };
    const one = await runSweep(dataset, random);
    const two = await runSweep(dataset, random);
    expect(one.trials.map((t) => t.assignment)).toEqual(two.trials.map((t) => t.assignment));
    expect(one.trials.map((t) => t.index)).toEqual([0, 1, 2]);
  });

  it("samples by TPE from the trials completed so far, without early termination", async () => {
    const bayesian: SweepDefinition = {
      ...base,
      space: {
        maxDepth: { type: "quniform", min: 1, max: 12, q: 1 },
        maxFeatures: { type: "choice", values: ["sqrt", "all"] },
      },
      sampling: { kind: "bayesian", seed: 2 },
      maxTrials: 7,
    };
    const sweep = await runSweep(dataset, bayesian);
    expect(sweep.trials.map((t) => t.status)).toEqual(Array(7).fill("completed"));
    for (const t of sweep.trials) {
      expect(Number.isInteger(t.assignment.maxDepth)).toBe(true);
      expect(["sqrt", "all"]).toContain(t.assignment.maxFeatures);
    }
    await expect(runSweep(dataset, { ...bayesian, policy: { kind: "median" } })).rejects.toThrow(
      'policy is not supported with Bayesian sampling (got "median")',
    );
    await expect(
      runSweep(dataset, { ...bayesian, space: { seed: { type: "randint", upper: 5 } } }),
    ).rejects.toThrow(/^space.seed must be choice, uniform, loguniform or quniform/);
  });

  it("cancels what runs when the timeout passes", async () => {
    const sweep = await runSweep(dataset, {
      ...base,
      fixed: { nEstimators: 500 },
      maxTrials: 4,
      timeoutMs: 1,
    });
    expect(sweep.timedOut).toBe(true);
    expect(sweep.trials.length).toBeLessThan(4);
    expect(sweep.trials.every((t) => t.status === "cancelled")).toBe(true);
  });

  it("validates the definition", async () => {
    await expect(runSweep(dataset, { ...base, maxTrials: 0 })).rejects.toThrow(OptionError);
    await expect(
      runSweep(dataset, { ...base, policy: { kind: "truncation", truncationPercentage: 0 } }),
    ).rejects.toThrow(/^truncationPercentage/);
    for (const timeoutMs of [-1, 0, Number.NaN]) {
      await expect(runSweep(dataset, { ...base, timeoutMs })).rejects.toThrow(/^timeoutMs/);
    }
    // Past what Node's timers keep, the deadline would pass at once (TimeoutOverflowWarning).
    await expect(runSweep(dataset, { ...base, timeoutMs: 3e9 })).rejects.toThrow(
      "timeoutMs must be milliseconds in (0, 2147483647] (got 3000000000)",
    );
  });
});

describe("plannedTrials", () => {
  it("is maxTrials, or the number of grid points when the grid is smaller", () => {
    const grid: SweepDefinition = {
      ...base,
      space: {
        maxDepth: { type: "choice", values: [2, 4, 8] },
        bootstrap: { type: "choice", values: [true, false] },
      },
    };
    expect(plannedTrials({ ...grid, maxTrials: 4 })).toBe(4);
    expect(plannedTrials({ ...grid, maxTrials: 10 })).toBe(6);
    expect(plannedTrials({ ...grid, sampling: { kind: "random", seed: 1 }, maxTrials: 10 })).toBe(
      10,
    );
  });
});
