import { describe, expect, it } from "vitest";
import { type Assignment, randomAssignment, type SearchSpace } from "./space.js";
import { checkBayesianSpace, type Observation, tpeAssignment } from "./tpe.js";

const space: SearchSpace = {
  x: { type: "uniform", min: 0, max: 10 },
  kind: { type: "choice", values: ["a", "b", "c"] },
  n: { type: "quniform", min: 0, max: 100, q: 5 },
};
// Best at x = 7, kind "b", n = 40.
const objective = (a: Assignment) =>
  -(((a.x as number) - 7) ** 2) - (a.kind === "b" ? 0 : 30) - (((a.n as number) - 40) / 20) ** 2;

function search(
  sample: (history: Observation[], i: number) => Assignment,
  trials: number,
): Observation[] {
  const history: Observation[] = [];
  for (let i = 0; i < trials; i++) {
    const assignment = sample(history, i);
    history.push({ assignment, value: objective(assignment) });
  }
  return history;
}

describe("tpeAssignment", () => {
  it("concentrates later trials near the optimum, unlike random sampling", () => {
    const tpe = search((h, i) => tpeAssignment(space, h, 11, i), 40).slice(20);
    const random = search((_, i) => randomAssignment(space, 11, i), 40).slice(20);
    const mean = (obs: Observation[]) => obs.reduce((s, o) => s + o.value, 0) / obs.length;
    expect(mean(tpe)).toBeGreaterThan(mean(random));
    expect(tpe.filter((o) => o.assignment.kind === "b").length).toBeGreaterThan(12);
    for (const o of tpe) {
      expect(o.assignment.x).toBeGreaterThanOrEqual(0);
      expect(o.assignment.x).toBeLessThanOrEqual(10);
      expect((o.assignment.n as number) % 5).toBe(0);
    }
  });

  it("samples at random until it has enough observations, and is seeded", () => {
    expect(tpeAssignment(space, [], 3, 0)).toEqual(randomAssignment(space, 3, 0));
    const history = search((h, i) => tpeAssignment(space, h, 5, i), 10);
    expect(tpeAssignment(space, history, 5, 10)).toEqual(tpeAssignment(space, history, 5, 10));
  });

  it("models a log-uniform parameter in log space and draws within its bounds", () => {
    // Best at a learning rate of 0.05, in the design's range 0.01 to 0.3.
    const rates: SearchSpace = {
      rate: { type: "loguniform", min: Math.log(0.01), max: Math.log(0.3) },
    };
    const loss = (a: Assignment) => -((Math.log(a.rate as number) - Math.log(0.05)) ** 2);
    const history: Observation[] = [];
    for (let i = 0; i < 40; i++) {
      const assignment = tpeAssignment(rates, history, 4, i);
      history.push({ assignment, value: loss(assignment) });
    }
    for (const o of history) {
      expect(o.assignment.rate).toBeGreaterThanOrEqual(0.01 - 1e-12);
      expect(o.assignment.rate).toBeLessThanOrEqual(0.3 + 1e-12);
    }
    const late = history
      .slice(20)
      .map((o) => Math.abs(Math.log((o.assignment.rate as number) / 0.05)));
    const early = history
      .slice(0, 5)
      .map((o) => Math.abs(Math.log((o.assignment.rate as number) / 0.05)));
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    expect(median(late)).toBeLessThan(median(early));
  });

  it("accepts what Azure ML's Bayesian sampling accepts, and loguniform (uniform in log space)", () => {
    expect(() => checkBayesianSpace({ r: { type: "randint", upper: 4 } })).toThrow(
      'space.r must be choice, uniform, loguniform or quniform for Bayesian sampling (got "randint")',
    );
    expect(() => checkBayesianSpace({ r: { type: "loguniform", min: -4, max: -1 } })).not.toThrow();
  });
});
