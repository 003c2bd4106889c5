import { describe, expect, it } from "vitest";
import { decisionRecord, SERVING } from "../test-support/fixtures.js";
import { experimentIdFor, parseDecision, planCandidate, planDecision } from "./plan.js";

describe("planDecision", () => {
  it("promote: the challenger's image and model become the champion's and the canary closes", () => {
    const plan = planDecision(decisionRecord("promote"), SERVING);
    expect(plan.ok).toBe(true);
    expect(plan.changes).toEqual([
      { field: "championImageTag", from: "1.4.2", to: "1.5.0-rc.1" },
      { field: "championModel", from: "classifier@12", to: "classifier@13" },
      { field: "canaryWeight", from: 10, to: 0 },
    ]);
  });

  it("rollback: the canary closes and the challenger goes back to the champion", () => {
    expect(planDecision(decisionRecord("rollback"), SERVING).changes).toEqual([
      { field: "canaryWeight", from: 10, to: 0 },
      { field: "challengerImageTag", from: "1.5.0-rc.1", to: "1.4.2" },
      { field: "challengerModel", from: "classifier@13", to: "classifier@12" },
    ]);
  });

  it("continue changes nothing; invalid changes nothing and is not ok", () => {
    expect(planDecision(decisionRecord("continue"), SERVING)).toMatchObject({
      ok: true,
      changes: [],
    });
    expect(planDecision(decisionRecord("invalid"), SERVING)).toMatchObject({
      ok: false,
      changes: [],
    });
  });

  it("skips values already in place (a promote re-run is a no-op)", () => {
    const promoted = { ...SERVING, championImageTag: "1.5.0-rc.1", championModel: "classifier@13" };
    expect(
      planDecision(decisionRecord("promote"), { ...promoted, canaryWeight: 0 }).changes,
    ).toEqual([]);
  });

  it("refuses a decision about another experiment", () => {
    expect(() => planDecision(decisionRecord("promote", "classifier-1-vs-2"), SERVING)).toThrow(
      /about experiment classifier-1-vs-2, but the stack runs classifier-12-vs-13/,
    );
  });

  it("validates the decision record with the contracts schema, naming the field", () => {
    expect(() => parseDecision({ ...decisionRecord("promote"), decision: "ship-it" })).toThrow(
      /--decision is invalid: decision:/,
    );
    expect(() => parseDecision({ ...decisionRecord("promote"), reason: "" })).toThrow(/reason/);
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
