import { describe, expect, it } from "vitest";
import type { SweepDefinition } from "../sweep/run.js";
import { expressionOf, SWEEP_PRIMARY_METRIC, toAzureSweepSettings } from "./sweep-spec.js";

const base: SweepDefinition = {
  space: { maxDepth: { type: "choice", values: [4, 8] } },
  sampling: { kind: "random", seed: 7 },
  maxTrials: 20,
  maxConcurrent: 4,
  timeoutMs: 3_600_500,
};

describe("expressionOf", () => {
  it("writes each expression as Azure ML's [type, [arguments]]", () => {
    expect(expressionOf({ type: "choice", values: [4, "sqrt", true] })).toEqual([
      "choice",
      [[4, "sqrt", true]],
    ]);
    expect(expressionOf({ type: "uniform", min: 0.1, max: 0.9 })).toEqual(["uniform", [0.1, 0.9]]);
    expect(expressionOf({ type: "loguniform", min: -5, max: 0 })).toEqual(["loguniform", [-5, 0]]);
    expect(expressionOf({ type: "quniform", min: 1, max: 20, q: 2 })).toEqual([
      "quniform",
      [1, 20, 2],
    ]);
    expect(expressionOf({ type: "randint", upper: 10 })).toEqual(["randint", [10]]);
  });
});

describe("toAzureSweepSettings", () => {
  it("maps sampling, space, objective and limits", () => {
    expect(toAzureSweepSettings(base)).toEqual({
      samplingAlgorithm: { samplingAlgorithmType: "Random", seed: 7 },
      searchSpace: { maxDepth: ["choice", [[4, 8]]] },
      objective: { goal: "Maximize", primaryMetric: SWEEP_PRIMARY_METRIC },
      limits: {
        jobLimitsType: "Sweep",
        maxTotalTrials: 20,
        maxConcurrentTrials: 4,
        timeout: "PT3601S",
      },
    });
    const grid = toAzureSweepSettings({
      ...base,
      sampling: { kind: "grid" },
      timeoutMs: undefined,
    });
    expect(grid.samplingAlgorithm).toEqual({ samplingAlgorithmType: "Grid" });
    expect(grid.limits).toEqual({
      jobLimitsType: "Sweep",
      maxTotalTrials: 20,
      maxConcurrentTrials: 4,
    });
    expect(
      toAzureSweepSettings({ ...base, sampling: { kind: "bayesian", seed: 1 } }).samplingAlgorithm,
    ).toEqual({
      samplingAlgorithmType: "Bayesian",
    });
  });

  it("maps Bandit with slack factor or amount, interval and delay", () => {
    const factor = toAzureSweepSettings({
      ...base,
      policy: { kind: "bandit", slackFactor: 0.1, evaluationInterval: 2, delayEvaluation: 5 },
    });
    expect(factor.earlyTermination).toEqual({
      policyType: "Bandit",
      slackFactor: 0.1,
      evaluationInterval: 2,
      delayEvaluation: 5,
    });
    const amount = toAzureSweepSettings({ ...base, policy: { kind: "bandit", slackAmount: 0.02 } });
    expect(amount.earlyTermination).toEqual({
      policyType: "Bandit",
      slackAmount: 0.02,
      evaluationInterval: 1,
      delayEvaluation: 0,
    });
  });

  it("maps Median stopping and Truncation selection", () => {
    expect(
      toAzureSweepSettings({ ...base, policy: { kind: "median", evaluationInterval: 3 } })
        .earlyTermination,
    ).toEqual({ policyType: "MedianStopping", evaluationInterval: 3, delayEvaluation: 0 });
    expect(
      toAzureSweepSettings({
        ...base,
        policy: { kind: "truncation", truncationPercentage: 20, delayEvaluation: 2 },
      }).earlyTermination,
    ).toEqual({
      policyType: "TruncationSelection",
      truncationPercentage: 20,
      evaluationInterval: 1,
      delayEvaluation: 2,
    });
    expect(toAzureSweepSettings(base)).not.toHaveProperty("earlyTermination");
  });

  it("refuses what Azure ML cannot express and checks the definition like the local runner", () => {
    expect(() =>
      toAzureSweepSettings({
        ...base,
        policy: { kind: "truncation", truncationPercentage: 20, excludeFinishedJobs: true },
      }),
    ).toThrow(/^policy\.excludeFinishedJobs is not supported by Azure ML sweep jobs/);
    expect(() =>
      toAzureSweepSettings({ ...base, space: { maxDepth: { type: "uniform", min: 3, max: 1 } } }),
    ).toThrow(/^space\.maxDepth uniform needs finite min < max/);
    expect(() => toAzureSweepSettings({ ...base, policy: { kind: "bandit" } })).toThrow(
      /slackFactor or slackAmount/,
    );
  });
});
