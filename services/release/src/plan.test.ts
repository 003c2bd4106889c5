import { describe, expect, it } from "vitest";
import { decisionRecord, SERVING } from "../test-support/fixtures.js";
import {
  DECISION_CLOCK_SKEW_MS,
  EARLIEST_DECISION_MS,
  experimentIdFor,
  parseDecision,
  planCandidate,
  planDecision,
} from "./plan.js";

describe("planDecision", () => {
  /** A minute after the fixtures' decisions. */
  const NOW = decisionRecord("promote").decided_at + 60_000;

  it("promote: the challenger's image and model become the champion's and the canary closes", () => {
    const plan = planDecision(decisionRecord("promote"), SERVING, NOW);
    expect(plan.ok).toBe(true);
    expect(plan.changes).toEqual([
      { field: "championImageTag", from: "1.4.2", to: "1.5.0-rc.1" },
      { field: "championModel", from: "classifier@12", to: "classifier@13" },
      { field: "canaryWeight", from: 10, to: 0 },
    ]);
  });

  it("rollback: the canary closes and the challenger goes back to the champion", () => {
    expect(planDecision(decisionRecord("rollback"), SERVING, NOW).changes).toEqual([
      { field: "canaryWeight", from: 10, to: 0 },
      { field: "challengerImageTag", from: "1.5.0-rc.1", to: "1.4.2" },
      { field: "challengerModel", from: "classifier@13", to: "classifier@12" },
    ]);
  });

  it("continue changes nothing; invalid changes nothing and is not ok", () => {
    expect(planDecision(decisionRecord("continue"), SERVING, NOW)).toMatchObject({
      ok: true,
      changes: [],
    });
    expect(planDecision(decisionRecord("invalid"), SERVING, NOW)).toMatchObject({
      ok: false,
      changes: [],
    });
  });

  it("skips values already in place (a promote or rollback re-run is a no-op)", () => {
    const promoted = { ...SERVING, championImageTag: "1.5.0-rc.1", championModel: "classifier@13" };
    expect(
      planDecision(decisionRecord("promote"), { ...promoted, canaryWeight: 0 }, NOW).changes,
    ).toEqual([]);
    const rolledBack = {
      ...SERVING,
      challengerImageTag: "1.4.2",
      challengerModel: "classifier@12",
    };
    expect(
      planDecision(decisionRecord("rollback"), { ...rolledBack, canaryWeight: 0 }, NOW).changes,
    ).toEqual([]);
    // Only the decision's own result: the rolled-back stack is not a promote's.
    expect(() => planDecision(decisionRecord("promote"), rolledBack, NOW)).toThrow(
      /judged champion=classifier@12, challenger=classifier@13, but the stack serves champion=classifier@12, challenger=classifier@12 /,
    );
  });

  it("refuses a decision about another experiment", () => {
    expect(() =>
      planDecision(decisionRecord("promote", "classifier-1-vs-2"), SERVING, NOW),
    ).toThrow(/about experiment classifier-1-vs-2, but the stack runs classifier-12-vs-13/);
  });

  it("refuses a decision on other models than the stack's, naming both pairs", () => {
    // `pulumi config set serving.challengerModel classifier@14` by hand: same experiment id.
    const edited = { ...SERVING, challengerModel: "classifier@14" };
    for (const kind of ["promote", "rollback", "continue"] as const) {
      expect(() => planDecision(decisionRecord(kind), edited, NOW)).toThrow(
        `--decision decision-${kind} judged champion=classifier@12, challenger=classifier@13, but the stack serves champion=classifier@12, challenger=classifier@14 under experiment classifier-12-vs-13: the decision is about other models (was the stack config edited by hand?); give the served pair its own experiment (\`mlops release candidate\`) and analyze that`,
      );
    }
    const swapped = {
      ...SERVING,
      championModel: "classifier@13",
      challengerModel: "classifier@12",
    };
    expect(() => planDecision(decisionRecord("promote"), swapped, NOW)).toThrow(
      /judged champion=classifier@12, challenger=classifier@13, but the stack serves champion=classifier@13, challenger=classifier@12 /,
    );
  });

  it("takes the same arms in any order", () => {
    const decision = decisionRecord("promote");
    const reordered = { ...decision, variants: [...decision.variants!].reverse() };
    expect(planDecision(reordered, SERVING, NOW)).toEqual(planDecision(decision, SERVING, NOW));
  });

  it("refuses a decided_at that is no time in milliseconds (0, or an epoch in seconds)", () => {
    const decision = decisionRecord("promote");
    for (const decidedAt of [0, Math.floor(decision.decided_at / 1000)]) {
      expect(() => planDecision({ ...decision, decided_at: decidedAt }, SERVING, NOW)).toThrow(
        `--decision decision-promote is dated ${new Date(decidedAt).toISOString()}: decided_at must be milliseconds since 1970 (a time in seconds reads as 1970)`,
      );
    }
    expect(EARLIEST_DECISION_MS).toBe(1e12);
    expect(planDecision({ ...decision, decided_at: EARLIEST_DECISION_MS }, SERVING, NOW).ok).toBe(
      true,
    );
  });

  it("refuses a decision recorded without its arms: analyze again", () => {
    const { variants: _, ...old } = decisionRecord("promote");
    expect(parseDecision(old)).toEqual(old);
    expect(() => planDecision(old, SERVING, NOW)).toThrow(
      "--decision decision-promote does not name the arms it judged (it was recorded before decisions did), so it cannot be checked against the stack's models: re-run `mlops ab analyze --experiment classifier-12-vs-13 --decision-out <file>` and plan that file",
    );
  });

  it("refuses a decision dated after now beyond the clock-skew allowance", () => {
    const decision = decisionRecord("promote");
    const skewed = decision.decided_at - DECISION_CLOCK_SKEW_MS;
    expect(DECISION_CLOCK_SKEW_MS).toBe(300_000);
    expect(planDecision(decision, SERVING, skewed).ok).toBe(true);
    expect(() => planDecision(decision, SERVING, skewed - 1)).toThrow(
      "--decision decision-promote is dated 2026-11-18T11:06:40.000Z, more than 5 minutes after now (2026-11-18T11:01:39.999Z): a decision cannot come from the future (check the clock of the machine that recorded it)",
    );
  });

  it("validates the decision record with the contracts schema, naming the field", () => {
    expect(() => parseDecision({ ...decisionRecord("promote"), decision: "ship-it" })).toThrow(
      /--decision is invalid: decision:/,
    );
    expect(() => parseDecision({ ...decisionRecord("promote"), reason: "" })).toThrow(/reason/);
    expect(() =>
      parseDecision({ ...decisionRecord("promote"), variants: [{ name: "champion", model: "x" }] }),
    ).toThrow(/--decision is invalid: variants/);
  });
});

describe("planCandidate", () => {
  it("puts the new build behind the canary as a new experiment", () => {
    const plan = planCandidate({ imageTag: "0a1b2c3", model: "classifier@14" }, SERVING);
    expect(plan.changes).toEqual([
      { field: "challengerImageTag", from: "1.5.0-rc.1", to: "0a1b2c3" },
      { field: "challengerModel", from: "classifier@13", to: "classifier@14" },
      { field: "experimentId", from: "classifier-12-vs-13", to: "classifier-12-vs-14" },
    ]);
  });

  it("refuses a new challenger under the running experiment's id, whose decision it would inherit", () => {
    for (const candidate of [
      { imageTag: "0a1b2c3", model: "classifier@14" },
      { imageTag: "0a1b2c3", model: "classifier@13" },
      { imageTag: "1.5.0-rc.1", model: "classifier@14" },
    ]) {
      expect(() =>
        planCandidate({ ...candidate, experimentId: SERVING.experimentId }, SERVING),
      ).toThrow(
        /^--experiment classifier-12-vs-13 is the running experiment, and a new challenger/,
      );
    }
    // The same build again under its own experiment changes nothing.
    const same = planCandidate(
      { imageTag: "1.5.0-rc.1", model: "classifier@13", experimentId: SERVING.experimentId },
      SERVING,
    );
    expect(same.changes).toEqual([]);
  });

  it("sets the canary weight only when asked", () => {
    const plan = planCandidate(
      { imageTag: "0a1b2c3", model: "classifier@14", canaryWeight: 20, experimentId: "x-1" },
      SERVING,
    );
    expect(plan.changes.map((c) => [c.field, c.to])).toContainEqual(["canaryWeight", 20]);
    expect(plan.changes.map((c) => [c.field, c.to])).toContainEqual(["experimentId", "x-1"]);
  });

  it("refuses moving tags, unpinned models and underivable experiment ids", () => {
    expect(() => planCandidate({ imageTag: "latest", model: "classifier@14" }, SERVING)).toThrow(
      /--image-tag must be an immutable image tag/,
    );
    expect(() => planCandidate({ imageTag: "a b", model: "classifier@14" }, SERVING)).toThrow(
      /--image-tag must be an image tag/,
    );
    expect(() => planCandidate({ imageTag: "abc", model: "classifier" }, SERVING)).toThrow(
      /--model must pin a version or alias/,
    );
    expect(() => experimentIdFor("classifier@champion", "classifier@14")).toThrow(
      /--experiment is required/,
    );
  });
});
