import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { thrownBy } from "../../test-support/thrown.js";
import { OptionError } from "../errors.js";
import {
  checkPolicy,
  decide,
  isEvaluatedAt,
  type TerminationPolicy,
  type TrialHistory,
} from "./termination.js";

const trial = (id: string, values: number[], finished = false): TrialHistory => ({
  id,
  values,
  finished,
});

describe("bandit", () => {
  // Azure ML's example: the leading run has 0.8; slack factor 0.2 stops a run whose best Y has
  // Y·1.2 < 0.8, slack amount 0.2 one whose best is below 0.6.
  const leader = trial("x", [0.5, 0.8]);
  it.each([
    [{ slackFactor: 0.2 }, 0.66, true],
    [{ slackFactor: 0.2 }, 0.67, false],
    [{ slackAmount: 0.2 }, 0.59, true],
    [{ slackAmount: 0.2 }, 0.61, false],
  ])("%j with a best of %f stops: %s", (slack, y, stops) => {
    const policy: TerminationPolicy = { kind: "bandit", ...slack };
    expect(decide(policy, "maximize", [leader, trial("y", [y, 0.1])], "y", 2).terminate).toBe(
      stops,
    );
  });

  it("mirrors the slack when minimizing", () => {
    const trials = [trial("a", [1.0]), trial("b", [1.19]), trial("c", [1.21])];
    const policy: TerminationPolicy = { kind: "bandit", slackFactor: 0.2 };
    expect(decide(policy, "minimize", trials, "b", 1).terminate).toBe(false);
    expect(decide(policy, "minimize", trials, "c", 1).terminate).toBe(true);
  });

  it("never stops the leading trial", () => {
    const values = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
      minLength: 1,
      maxLength: 5,
    });
    fc.assert(
      fc.property(
        fc.array(values, { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (runs, slack) => {
          const trials = runs.map((v, i) => trial(`t${i}`, v));
          const leader = trials.reduce((a, b) =>
            Math.max(...b.values.slice(0, 1)) > Math.max(...a.values.slice(0, 1)) ? b : a,
          );
          expect(
            decide({ kind: "bandit", slackAmount: slack }, "maximize", trials, leader.id, 1)
              .terminate,
          ).toBe(false);
        },
      ),
    );
  });
});

describe("median stopping", () => {
  it("stops a trial whose best so far is below the median of running averages", () => {
    // Running averages over intervals 1..2: a 0.85, b 0.75, c 0.55 → median 0.75.
    const trials = [
      trial("a", [0.8, 0.9]),
      trial("b", [0.7, 0.8]),
      trial("c", [0.5, 0.6]),
      trial("d", [0.9]),
    ];
    const policy: TerminationPolicy = { kind: "median" };
    expect(decide(policy, "maximize", trials, "c", 2).terminate).toBe(true);
    expect(decide(policy, "maximize", trials, "b", 2).terminate).toBe(false);
    expect(decide(policy, "maximize", trials, "c", 2).reason).toContain(
      "median running average 0.750000 of 3 trials",
    );
  });
});

describe("truncation selection", () => {
  const trials = Array.from({ length: 10 }, (_, i) =>
    trial(`t${i}`, [i / 10, 1 - i / 10], i === 0),
  );
  it("stops the worst percentage at the interval, comparing values at that interval", () => {
    const policy: TerminationPolicy = { kind: "truncation", truncationPercentage: 20 };
    const stopped = (interval: number) =>
      trials
        .filter((t) => decide(policy, "maximize", trials, t.id, interval).terminate)
        .map((t) => t.id);
    expect(stopped(1)).toEqual(["t0", "t1"]);
    expect(stopped(2)).toEqual(["t8", "t9"]);
  });

  it("can leave finished trials out of the ranking", () => {
    const policy: TerminationPolicy = {
      kind: "truncation",
      truncationPercentage: 20,
      excludeFinishedJobs: true,
    };
    // Without t0 (finished), 9 trials: ⌊1.8⌋ = 1 is stopped, t1.
    expect(decide(policy, "maximize", trials, "t1", 1).terminate).toBe(true);
    expect(decide(policy, "maximize", trials, "t2", 1).terminate).toBe(false);
  });

  it("judges a young trial only against what older trials had reported by then", () => {
    const policy: TerminationPolicy = { kind: "truncation", truncationPercentage: 50 };
    const older = trial("old", [0.3, 0.9, 0.95]);
    expect(decide(policy, "maximize", [older, trial("young", [0.4])], "young", 1).terminate).toBe(
      false,
    );
  });
});

describe("schedule and options", () => {
  it("applies every evaluationInterval-th report from delayEvaluation on", () => {
    const policy: TerminationPolicy = { kind: "median", evaluationInterval: 2, delayEvaluation: 5 };
    const evaluated = Array.from({ length: 10 }, (_, i) => i + 1).filter((n) =>
      isEvaluatedAt(policy, n),
    );
    expect(evaluated).toEqual([6, 8, 10]);
    expect(
      decide(policy, "maximize", [trial("a", [0, 0, 0]), trial("b", [1, 1, 1])], "a", 3),
    ).toEqual({
      terminate: false,
      reason: "interval 3 is not evaluated by the median policy",
    });
  });

  it.each<[TerminationPolicy, string]>([
    [{ kind: "bandit" }, "slackFactor"],
    [{ kind: "bandit", slackFactor: 0.1, slackAmount: 0.1 }, "slackFactor"],
    [{ kind: "bandit", slackAmount: -1 }, "slackAmount"],
    [{ kind: "truncation", truncationPercentage: 100 }, "truncationPercentage"],
    [{ kind: "median", evaluationInterval: 0 }, "evaluationInterval"],
    [{ kind: "median", delayEvaluation: 1.5 }, "delayEvaluation"],
    [{ kind: "hyperband" } as unknown as TerminationPolicy, "kind"],
  ])("rejects %j naming %s", (policy, option) => {
    expect(thrownBy(() => checkPolicy(policy), OptionError).option).toBe(option);
  });

  it("refuses an interval the trial has not reported", () => {
    expect(() => decide({ kind: "median" }, "maximize", [trial("a", [1])], "a", 2)).toThrow(
      /^interval must be/,
    );
  });
});
