import { describe, expect, it } from "vitest";
import { fit } from "./fit.js";
import { primeFitPath } from "./prime.js";
import type { GarchOptions } from "./types.js";

describe("primeFitPath", () => {
  it("runs whole converged fits of GARCH(1,1), constant and zero mean, on its short series", () => {
    const runs: { n: number; options: GarchOptions; converged: boolean; withSe: boolean }[] = [];
    primeFitPath((x, options) => {
      const f = fit(x, options);
      runs.push({
        n: x.length,
        options,
        converged: f.converged,
        withSe: Number.isFinite(f.stdErrors.robust.alpha[0]!),
      });
    });
    expect(runs.map((r) => r.options.mean ?? "constant")).toEqual(["constant", "zero"]);
    for (const r of runs) {
      expect(r.converged).toBe(true);
      expect(r.withSe).toBe(true);
      expect(r.n).toBeGreaterThanOrEqual(100);
    }
  });
});
