import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { thrownBy } from "../../test-support/thrown.js";
import { OptionError } from "../errors.js";
import { checkSpace, gridAssignments, randomAssignment, type SearchSpace } from "./space.js";

describe("gridAssignments", () => {
  it("lists every combination, the last parameter fastest", () => {
    expect(
      gridAssignments({
        maxDepth: { type: "choice", values: [4, 8] },
        bootstrap: { type: "choice", values: [true, false] },
      }),
    ).toEqual([
      { maxDepth: 4, bootstrap: true },
      { maxDepth: 4, bootstrap: false },
      { maxDepth: 8, bootstrap: true },
      { maxDepth: 8, bootstrap: false },
    ]);
  });

  it("accepts only choice", () => {
    expect(() =>
      gridAssignments({ a: { type: "choice", values: [1] }, b: { type: "randint", upper: 3 } }),
    ).toThrow('space.b must be a choice for grid sampling (got "randint")');
  });
});

describe("randomAssignment", () => {
  const space: SearchSpace = {
    c: { type: "choice", values: ["sqrt", "log2", 0.5] },
    u: { type: "uniform", min: -1, max: 2 },
    l: { type: "loguniform", min: Math.log(1e-3), max: Math.log(10) },
    q: { type: "quniform", min: 2, max: 30, q: 4 },
    r: { type: "randint", upper: 5 },
  };

  it("draws each expression within its range, as Azure ML defines it", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 1000 }), (seed, index) => {
        const a = randomAssignment(space, seed, index);
        expect(["sqrt", "log2", 0.5]).toContain(a.c);
        expect(a.u).toBeGreaterThanOrEqual(-1);
        expect(a.u).toBeLessThan(2);
        expect(a.l).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-12));
        expect(a.l).toBeLessThanOrEqual(10);
        expect((a.q as number) % 4).toBe(0);
        expect(a.q).toBeGreaterThanOrEqual(0);
        expect(a.q).toBeLessThanOrEqual(32);
        expect(Number.isInteger(a.r) && (a.r as number) >= 0 && (a.r as number) < 5).toBe(true);
      }),
    );
  });

  it("depends only on (seed, index)", () => {
    expect(randomAssignment(space, 7, 3)).toEqual(randomAssignment(space, 7, 3));
    expect(randomAssignment(space, 7, 3)).not.toEqual(randomAssignment(space, 7, 4));
  });
});

describe("checkSpace", () => {
  it.each<[SearchSpace, string]>([
    [{}, "space"],
    [{ a: { type: "choice", values: [] } }, "space.a"],
    [{ a: { type: "uniform", min: 1, max: 1 } }, "space.a"],
    [{ a: { type: "quniform", min: 0, max: 1, q: 0 } }, "space.a"],
    [{ a: { type: "randint", upper: 0 } }, "space.a"],
    [{ a: { type: "normal" } as never }, "space.a"],
    [{ a: { type: "choice", values: [3, null] } as never }, "space.a.values[1]"],
    [{ a: { type: "choice", values: [{ x: 1 }] } as never }, "space.a.values[0]"],
    [{ a: { type: "choice", values: [[1]] } as never }, "space.a.values[0]"],
  ])("rejects %j naming %s", (space, option) => {
    expect(thrownBy(() => checkSpace(space), OptionError).option).toBe(option);
  });
});
