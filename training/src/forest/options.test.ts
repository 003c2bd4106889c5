import { describe, expect, it } from "vitest";
import { thrownBy } from "../../test-support/thrown.js";
import { OptionError } from "../errors.js";
import { classWeights, type ForestOptions, resolveForestOptions, treeParams } from "./options.js";

const rejected = (options: ForestOptions): OptionError =>
  thrownBy(() => resolveForestOptions(options), OptionError);

describe("resolveForestOptions", () => {
  it("applies scikit-learn's defaults", () => {
    expect(resolveForestOptions()).toEqual({
      nEstimators: 100,
      maxFeatures: "sqrt",
      maxDepth: null,
      minSamplesSplit: 2,
      minSamplesLeaf: 1,
      bootstrap: true,
      classWeight: null,
      seed: 42,
    });
  });

  it.each<[ForestOptions, string, string]>([
    [{ nEstimators: 0 }, "nEstimators", "nEstimators must be an integer in [1, 100000] (got 0)"],
    [
      { nEstimators: 2.5 },
      "nEstimators",
      "nEstimators must be an integer in [1, 100000] (got 2.5)",
    ],
    [
      { nEstimators: 1e9 },
      "nEstimators",
      "nEstimators must be an integer in [1, 100000] (got 1000000000)",
    ],
    [
      { maxFeatures: "half" as "sqrt" },
      "maxFeatures",
      'maxFeatures must be "sqrt", "log2", "all" or a number (got "half")',
    ],
    [
      { maxFeatures: 0 },
      "maxFeatures",
      "maxFeatures must be a fraction in (0, 1) or an integer count ≥ 1 (got 0)",
    ],
    [
      { maxFeatures: 1.5 },
      "maxFeatures",
      "maxFeatures must be a fraction in (0, 1) or an integer count ≥ 1 (got 1.5)",
    ],
    [{ maxDepth: 0 }, "maxDepth", "maxDepth must be an integer ≥ 1 (got 0)"],
    [{ minSamplesSplit: 1 }, "minSamplesSplit", "minSamplesSplit must be an integer ≥ 2 (got 1)"],
    [{ minSamplesLeaf: 0 }, "minSamplesLeaf", "minSamplesLeaf must be an integer ≥ 1 (got 0)"],
    [
      { bootstrap: "yes" as unknown as boolean },
      "bootstrap",
      'bootstrap must be true or false (got "yes")',
    ],
    [
      { classWeight: "even" as "balanced" },
      "classWeight",
      'classWeight must be "balanced" or a map of class name to weight (got "even")',
    ],
    [
      { classWeight: { a: 0 } },
      "classWeight.a",
      "classWeight.a must be a finite number > 0 (got 0)",
    ],
    [{ seed: 2 ** 32 }, "seed", "seed must be an integer in [0, 4294967295] (got 4294967296)"],
    [{ maxDepth: 0 }, "maxDepth", "maxDepth must be an integer ≥ 1 (got 0)"],
    [
      { maxDepth: 1e300 },
      "maxDepth",
      "maxDepth must be an integer in [1, 9007199254740991] (got 1e+300)",
    ],
    [{ trees: 5 } as ForestOptions, "trees", "trees is not a forest option"],
  ])("rejects %j naming the option", (options, option, message) => {
    const error = rejected(options);
    expect(error.option).toBe(option);
    expect(error.message.startsWith(message)).toBe(true);
  });
});

describe("treeParams", () => {
  const features = (maxFeatures: ForestOptions["maxFeatures"], n: number) =>
    treeParams(resolveForestOptions({ maxFeatures }), n).featuresPerNode;

  it("resolves maxFeatures to a per-node count of at least 1", () => {
    expect([features("sqrt", 5), features("log2", 5), features("all", 5)]).toEqual([2, 2, 5]);
    expect([features(0.5, 5), features(0.1, 5), features(3, 5), features("log2", 1)]).toEqual([
      2, 1, 3, 1,
    ]);
    expect(() => features(6, 5)).toThrow("maxFeatures must be at most the 5 features (got 6)");
  });
});

describe("classWeights", () => {
  const y = Int32Array.of(0, 0, 0, 1);
  it("balances by class counts or takes a map by class name", () => {
    const names = ["no", "yes"];
    expect(classWeights(resolveForestOptions({ classWeight: "balanced" }), names, y)).toEqual(
      Float64Array.of(4 / 6, 2),
    );
    expect(classWeights(resolveForestOptions({ classWeight: { yes: 3 } }), names, y)).toEqual(
      Float64Array.of(1, 3),
    );
    expect(() =>
      classWeights(resolveForestOptions({ classWeight: { maybe: 3 } }), names, y),
    ).toThrow("classWeight.maybe names no class of the data (classes: no, yes) (got 3)");
  });
});
