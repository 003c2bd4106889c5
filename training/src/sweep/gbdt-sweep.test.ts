import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Dataset, parseDataset } from "../dataset.js";
import { GBDT_SWEEP_FIXED, gbdtDesignSpace } from "./gbdt-space.js";
import { runSweep, type SweepDefinition, type SweepResult } from "./run.js";
import { isEvaluatedAt, type TerminationPolicy } from "./termination.js";

// 2,000 rows of the demo file: 1,280 rows to fit and 320 to validate on.
const text = readFileSync(new URL("../../data/demo-classification.csv", import.meta.url), "utf8")
  .split("\n")
  .slice(0, 2001)
  .join("\n");
const dataset: Dataset = parseDataset(new TextEncoder().encode(text), { label: "label" });

const ROUNDS = 30;
/** Depth-6 trees against stumps, in an order where each stump meets a deeper trial first. */
const depths: SweepDefinition = {
  algorithm: "gbdt",
  space: { maxDepth: { type: "choice", values: [6, 1, 6, 1] } },
  sampling: { kind: "grid" },
  fixed: { nEstimators: ROUNDS, learningRate: 0.3 },
  maxTrials: 4,
};

/** What every early-terminated trial must show: it stopped at a round the policy evaluates. */
function expectStoppedMidway(sweep: SweepResult, policy: TerminationPolicy, kind: RegExp): void {
  const stopped = sweep.trials.filter((t) => t.status === "terminated");
  expect(stopped.length).toBeGreaterThan(0);
  for (const t of stopped) {
    expect(t.trained).toBeLessThan(ROUNDS);
    expect(isEvaluatedAt(policy, t.trained)).toBe(true);
    // One report per round, and none after the stop.
    expect(t.steps).toEqual(Array.from({ length: t.trained }, (_, i) => i + 1));
    expect(t.history).toHaveLength(t.trained);
    expect(t.losses).toHaveLength(t.trained);
    expect(t.reason).toMatch(kind);
  }
  for (const t of sweep.trials.filter((t) => t.status === "completed")) {
    expect(t.trained).toBe(ROUNDS);
    expect(t.steps.at(-1)).toBe(ROUNDS);
  }
}

describe("runSweep over gradient-boosted trees", () => {
  it("reports validation accuracy and log loss every round by default", async () => {
    const sweep = await runSweep(dataset, { ...depths, maxTrials: 2 });
    expect(sweep.trials.map((t) => [t.status, t.trained, t.history.length])).toEqual([
      ["completed", ROUNDS, ROUNDS],
      ["completed", ROUNDS, ROUNDS],
    ]);
    const [deep, stump] = sweep.trials;
    expect(deep.losses.at(-1)).toBeLessThan(deep.losses[0]);
    expect(deep.accuracy).toBeGreaterThan(stump.accuracy!);
    expect(sweep.best?.index).toBe(0);
  });

  it("stops trials at an intermediate round by the Bandit rule", async () => {
    const policy: TerminationPolicy = { kind: "bandit", slackFactor: 0.05, delayEvaluation: 3 };
    const sweep = await runSweep(dataset, { ...depths, policy });
    expect(sweep.trials.map((t) => [t.assignment.maxDepth, t.status])).toEqual([
      [6, "completed"],
      [1, "terminated"],
      [6, "completed"],
      [1, "terminated"],
    ]);
    expectStoppedMidway(sweep, policy, /^bandit at interval \d+: .* outside the slack$/);
  });

  it("stops trials at an intermediate round by Median stopping", async () => {
    const policy: TerminationPolicy = { kind: "median", delayEvaluation: 5, evaluationInterval: 5 };
    const sweep = await runSweep(dataset, { ...depths, policy });
    expect(sweep.trials.filter((t) => t.status === "terminated").map((t) => t.index)).toEqual([
      1, 3,
    ]);
    expectStoppedMidway(sweep, policy, /^median at interval (5|10|15|20|25): .* is worse than/);
  });

  it("stops trials at an intermediate round by Truncation selection", async () => {
    const policy: TerminationPolicy = {
      kind: "truncation",
      truncationPercentage: 50,
      delayEvaluation: 4,
      evaluationInterval: 2,
    };
    const sweep = await runSweep(dataset, { ...depths, policy });
    expect(sweep.trials.filter((t) => t.status === "terminated").map((t) => t.index)).toEqual([
      1, 3,
    ]);
    expectStoppedMidway(
      sweep,
      policy,
      /^truncation at interval \d+: ranks \d of \d from the worst; the worst \d \(50%\) are stopped$/,
    );
  });

  it("draws the design's space and trains the same trials for the same seed", async () => {
    const definition: SweepDefinition = {
      algorithm: "gbdt",
      space: { ...gbdtDesignSpace("random"), nEstimators: { type: "choice", values: [20, 40] } },
      sampling: { kind: "random", seed: 3 },
      fixed: GBDT_SWEEP_FIXED,
      maxTrials: 3,
      maxConcurrent: 2,
      policy: { kind: "bandit", slackFactor: 0.02, delayEvaluation: 5 },
    };
    const one = await runSweep(dataset, definition);
    const two = await runSweep(dataset, definition);
    const outcome = (s: SweepResult) =>
      s.trials.map((t) => [t.assignment, t.status, t.trained, t.history, t.losses]);
    expect(outcome(two)).toEqual(outcome(one));
    for (const t of one.trials) {
      expect(t.assignment.learningRate).toBeGreaterThanOrEqual(0.01);
      expect(t.assignment.learningRate).toBeLessThanOrEqual(0.3);
      expect([5, 10, 15, 20]).toContain(t.assignment.maxDepth);
      expect([2, 5, 10]).toContain(t.assignment.minSamplesSplit);
    }
    const other = await runSweep(dataset, {
      ...definition,
      sampling: { kind: "random", seed: 4 },
    });
    expect(other.trials.map((t) => t.assignment)).not.toEqual(one.trials.map((t) => t.assignment));
  });

  it("samples the design's space by TPE, the learning rate log-uniform", async () => {
    const sweep = await runSweep(dataset, {
      algorithm: "gbdt",
      space: { ...gbdtDesignSpace("bayesian"), nEstimators: { type: "choice", values: [10, 20] } },
      sampling: { kind: "bayesian", seed: 1 },
      fixed: GBDT_SWEEP_FIXED,
      maxTrials: 7,
    });
    expect(sweep.trials.map((t) => t.status)).toEqual(Array(7).fill("completed"));
    for (const t of sweep.trials) {
      expect(t.assignment.learningRate).toBeGreaterThanOrEqual(0.01);
      expect(t.assignment.learningRate).toBeLessThanOrEqual(0.3);
      expect(t.trained).toBe(t.assignment.nEstimators);
    }
  });

  it("runs the grid of the design's space in choice points only", () => {
    const grid = gbdtDesignSpace("grid");
    expect(Object.values(grid).every((e) => e.type === "choice")).toBe(true);
    expect(grid.learningRate).toEqual({ type: "choice", values: [0.01, 0.03, 0.1, 0.3] });
  });

  it("rejects bad gbdt sweep specs before any trial runs, naming the field and the rule", async () => {
    const run = (patch: Partial<SweepDefinition>) => runSweep(dataset, { ...depths, ...patch });
    await expect(
      run({ space: { maxFeatures: { type: "choice", values: ["sqrt"] } } }),
    ).rejects.toThrow(
      /^space\.maxFeatures choice can draw a value the gbdt trainer refuses: maxFeatures is not a gbdt option \(known: nEstimators, /,
    );
    await expect(
      run({
        space: { learningRate: { type: "loguniform", min: Math.log(0.01), max: Math.log(2) } },
      }),
    ).rejects.toThrow(
      /^space\.learningRate loguniform can draw a value the gbdt trainer refuses: learningRate must be a number in \(0, 1\] \(got 2(\.0+\d*)?\)$/,
    );
    await expect(run({ space: { maxDepth: { type: "uniform", min: 2, max: 8 } } })).rejects.toThrow(
      /^space\.maxDepth uniform can draw a value the gbdt trainer refuses: maxDepth must be an integer ≥ 1 or null/,
    );
    await expect(run({ fixed: { minSamplesLeaf: 0 } })).rejects.toThrow(
      "fixed holds a value the gbdt trainer refuses: minSamplesLeaf must be an integer ≥ 1 (got 0)",
    );
    await expect(
      run({ space: gbdtDesignSpace("random"), sampling: { kind: "grid" } }),
    ).rejects.toThrow('space.learningRate must be a choice for grid sampling (got "loguniform")');
    await expect(
      run({
        space: gbdtDesignSpace("bayesian"),
        sampling: { kind: "bayesian", seed: 1 },
        policy: { kind: "bandit", slackFactor: 0.1 },
      }),
    ).rejects.toThrow('policy is not supported with Bayesian sampling (got "bandit")');
    await expect(run({ algorithm: "xgboost" as "gbdt" })).rejects.toThrow(
      'algorithm must be one of forest, gbdt (got "xgboost")',
    );
    await expect(run({ reportEvery: 0 })).rejects.toThrow(
      "reportEvery must be an integer ≥ 1 (got 0)",
    );
  });
});
