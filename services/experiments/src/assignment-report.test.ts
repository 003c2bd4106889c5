import type { AssignmentGroup } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { assignmentReport, configuredWeights, currentPeriod } from "./assignment-report.js";

const group = (
  assignment: AssignmentGroup["assignment"],
  challenger_weight: number | null,
  champion: number,
  challenger: number,
  first: number,
  last: number,
  units: Record<string, number> = { champion, challenger },
): AssignmentGroup => ({
  assignment,
  challenger_weight,
  predictions: { champion, challenger },
  units,
  first_timestamp: first,
  last_timestamp: last,
});

const EXPERIMENT = { champion: 50, challenger: 50 };

describe("currentPeriod", () => {
  it("starts after the last prediction of any other configuration", () => {
    // 10 % from 0, 30 % from 100, 10 % again from 200: the current period is the second 10 %.
    const groups = [
      group("gateway-weight", 10, 9, 1, 0, 250),
      group("gateway-weight", 30, 7, 3, 100, 199),
    ];
    expect(currentPeriod(groups)).toEqual({
      config: { assignment: "gateway-weight", challenger_weight: 10 },
      from: 200,
    });
    expect(currentPeriod([group("user-hash", 50, 5, 5, 40, 90)])?.from).toBe(40);
    expect(currentPeriod([])).toBeNull();
  });
});

describe("configuredWeights", () => {
  it("uses the recorded weight for a champion/challenger experiment, else the definition's", () => {
    const gateway = { assignment: "gateway-weight" as const, challenger_weight: 20 };
    expect(configuredWeights(gateway, EXPERIMENT)).toEqual({ champion: 80, challenger: 20 });
    const unknown = { assignment: "unknown" as const, challenger_weight: null };
    expect(configuredWeights(unknown, EXPERIMENT)).toEqual(EXPERIMENT);
    const threeArms = { a: 30, b: 30, c: 40 };
    expect(configuredWeights(gateway, threeArms)).toEqual(threeArms);
  });
});

describe("assignmentReport", () => {
  it("checks each configuration against its own weight and says what a unit is", () => {
    const groups = [
      group("nginx-canary-weight", 10, 900, 100, 0, 99),
      group("unknown", null, 50, 50, 100, 199),
    ];
    const report = assignmentReport({
      groups,
      experimentWeights: EXPERIMENT,
      period: currentPeriod(groups),
      periodPredictions: 100,
      usersInSeveralArms: null,
    });
    expect(report.mixed).toBe(true);
    expect(report.configurations.map((c) => [c.assignment, c.share, c.srm?.mismatch])).toEqual([
      ["nginx-canary-weight", 1000 / 1100, false],
      ["unknown", 100 / 1100, false],
    ]);
    expect(report.current).toMatchObject({ assignment: "unknown", unit: "unknown", from: 100 });
    const notes = report.notes.join("\n");
    expect(notes).toMatch(/nginx-canary-weight .*client session .* affinity cookie/);
    expect(notes).toMatch(/unknown: recorded without the mechanism/);
    expect(notes).toMatch(/verdict reads only the current period, unknown since/);
  });

  it("checks a user-hash split on its users, a per-request split on its predictions", () => {
    // 500 users an arm, but the challenger's users came back more: 6000 against 4000 predictions.
    const users = { champion: 500, challenger: 500 };
    const groups = [
      group("gateway-weight", 50, 4000, 6000, 0, 99, users),
      group("user-hash", 50, 4000, 6000, 100, 199, users),
    ];
    const report = assignmentReport({
      groups,
      experimentWeights: EXPERIMENT,
      period: currentPeriod(groups),
      periodPredictions: 10_000,
      usersInSeveralArms: null,
    });
    expect(report.configurations.map((c) => [c.assignment, c.srm?.mismatch])).toEqual([
      ["gateway-weight", true],
      ["user-hash", false],
    ]);
    expect(report.configurations[1]?.srm?.chi2).toBe(0);
  });

  it("flags traffic on an arm its configuration gave weight 0, and skips an SRM it cannot compute", () => {
    const groups = [group("gateway-weight", 0, 90, 4, 0, 10)];
    const report = assignmentReport({
      groups,
      experimentWeights: EXPERIMENT,
      period: currentPeriod(groups),
      periodPredictions: 94,
      usersInSeveralArms: 0,
    });
    expect(report.mixed).toBe(false);
    expect(report.configurations[0]?.srm).toBeNull();
    expect(report.notes).toContain(
      "sample ratio mismatch in gateway-weight@0: challenger has weight 0 but 4 predictions",
    );
  });
});
