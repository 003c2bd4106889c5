import { describe, expect, it } from "vitest";
import { duration } from "./run-text.js";

describe("duration", () => {
  it("reads in the largest unit that fits, truncating rather than rounding up", () => {
    const cases: [number, string][] = [
      [0, "0 ms"],
      [999, "999 ms"],
      [1000, "1.0 s"],
      [12_345, "12.3 s"],
      [59_999, "59.9 s"],
      [60_000, "1 min 0 s"],
      [3_599_999, "59 min 59 s"],
      [3_600_000, "1 h 0 min"],
      [90_061_000, "25 h 1 min"],
    ];
    expect(cases.map(([ms]) => duration(ms))).toEqual(cases.map(([, text]) => text));
  });
});
