import { describe, expect, it } from "vitest";
import { seededUniform } from "./random.js";

describe("seededUniform", () => {
  it("repeats for a seed, differs across seeds, stays in [0, 1) with a uniform mean", () => {
    const a = seededUniform(42);
    const b = seededUniform(42);
    const c = seededUniform(43);
    const xs = Array.from({ length: 20_000 }, () => a());
    expect(Array.from({ length: 20_000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(seededUniform(42)());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    // Five standard errors of the mean of 20,000 uniforms (sd 1/√12).
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 / Math.sqrt(12 * xs.length));
  });
});
