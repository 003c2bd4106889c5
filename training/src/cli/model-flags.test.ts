import { describe, expect, it } from "vitest";
import { modelSpecFromFlags } from "./model-flags.js";

describe("modelSpecFromFlags", () => {
  it("reads gbdt flags as the CLI's other numbers, either case of exponent included", () => {
    expect(
      modelSpecFromFlags({ algorithm: "gbdt", learningRate: "1E-1", l2: "5.0e-4", rounds: "20" }),
    ).toEqual({
      algorithm: "gbdt",
      options: { learningRate: 0.1, l2Regularization: 5e-4, nEstimators: 20 },
    });
  });

  it("refuses what only Number() would read, naming the flag", () => {
    for (const [flag, text] of [
      ["rounds", "0x10"],
      ["rounds", " 20"],
      ["minSamplesLeaf", "0b1"],
      ["l2", "Infinity"],
      ["l2", "1e400"],
    ] as const) {
      expect(() => modelSpecFromFlags({ algorithm: "gbdt", [flag]: text })).toThrow(
        /^--[a-z0-9-]+ must be a finite decimal number, such as 20, 0\.5, \.05 or 5e-2 \(got /,
      );
    }
  });
});
