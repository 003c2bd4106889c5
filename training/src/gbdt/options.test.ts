import { describe, expect, it } from "vitest";
import { thrownBy } from "../../test-support/thrown.js";
import { OptionError } from "../errors.js";
import { GBDT_OPTION_NAMES, type GbdtOptions, resolveGbdtOptions } from "./options.js";

const rejected = (options: unknown): OptionError =>
  thrownBy(() => resolveGbdtOptions(options as GbdtOptions), OptionError);

describe("resolveGbdtOptions", () => {
  it("applies HistGradientBoostingClassifier's defaults", () => {
    expect(resolveGbdtOptions()).toEqual({
      nEstimators: 100,
      learningRate: 0.1,
      growth: "leafwise",
      maxLeafNodes: 31,
      maxDepth: null,
      minSamplesLeaf: 20,
      minSamplesSplit: 2,
      minHessianLeaf: 1e-3,
      l2Regularization: 0,
      maxBins: 255,
      subsample: 1,
      colsampleByTree: 1,
      earlyStopping: false,
      validationFraction: 0.1,
      nIterNoChange: 10,
      tol: 1e-7,
      seed: 42,
    });
    expect(Object.keys(resolveGbdtOptions())).toEqual(GBDT_OPTION_NAMES);
  });

  it("keeps the values given", () => {
    const options: GbdtOptions = {
      nEstimators: 7,
      learningRate: 1,
      growth: "depthwise",
      maxLeafNodes: null,
      maxDepth: 6,
      minSamplesLeaf: 1,
      minSamplesSplit: 10,
      minHessianLeaf: 0,
      l2Regularization: 1.5,
      maxBins: 2,
      subsample: 0.5,
      colsampleByTree: 0.25,
      earlyStopping: true,
      validationFraction: 0.3,
      nIterNoChange: 3,
      tol: 0,
      seed: 2 ** 32 - 1,
    };
    expect(resolveGbdtOptions(options)).toEqual(options);
  });

  it.each<[unknown, string, string]>([
    [{ nEstimators: 0 }, "nEstimators", "nEstimators must be an integer in [1, 100000] (got 0)"],
    [
      { nEstimators: 1.5 },
      "nEstimators",
      "nEstimators must be an integer in [1, 100000] (got 1.5)",
    ],
    [
      { nEstimators: 1e9 },
      "nEstimators",
      "nEstimators must be an integer in [1, 100000] (got 1000000000)",
    ],
    [{ learningRate: 0 }, "learningRate", "learningRate must be a number in (0, 1] (got 0)"],
    [{ learningRate: 1.2 }, "learningRate", "learningRate must be a number in (0, 1] (got 1.2)"],
    [
      { learningRate: Number.NaN },
      "learningRate",
      "learningRate must be a number in (0, 1] (got NaN)",
    ],
    [
      { growth: "bestfirst" },
      "growth",
      'growth must be "leafwise" or "depthwise" (got "bestfirst")',
    ],
    [{ maxLeafNodes: 1 }, "maxLeafNodes", "maxLeafNodes must be an integer ≥ 2 or null (got 1)"],
    [{ maxDepth: 0 }, "maxDepth", "maxDepth must be an integer ≥ 1 or null (got 0)"],
    [{ minSamplesLeaf: 0 }, "minSamplesLeaf", "minSamplesLeaf must be an integer ≥ 1 (got 0)"],
    [{ minSamplesSplit: 1 }, "minSamplesSplit", "minSamplesSplit must be an integer ≥ 2 (got 1)"],
    [
      { minHessianLeaf: -1 },
      "minHessianLeaf",
      "minHessianLeaf must be a finite number ≥ 0 (got -1)",
    ],
    [
      { l2Regularization: Number.POSITIVE_INFINITY },
      "l2Regularization",
      "l2Regularization must be a finite number ≥ 0 (got Infinity)",
    ],
    [{ maxBins: 256 }, "maxBins", "maxBins must be an integer in [2, 255] (got 256)"],
    [
      { maxDepth: 1e300 },
      "maxDepth",
      "maxDepth must be an integer at most 9007199254740991 (got 1e+300)",
    ],
    [{ maxLeafNodes: 1 }, "maxLeafNodes", "maxLeafNodes must be an integer ≥ 2 or null (got 1)"],
    [{ subsample: 0 }, "subsample", "subsample must be a number in (0, 1] (got 0)"],
    [
      { colsampleByTree: "half" },
      "colsampleByTree",
      'colsampleByTree must be a number in (0, 1] (got "half")',
    ],
    [{ earlyStopping: 1 }, "earlyStopping", "earlyStopping must be true or false (got 1)"],
    [
      { validationFraction: 1 },
      "validationFraction",
      "validationFraction must be a number in (0, 1) (got 1)",
    ],
    [{ nIterNoChange: 0 }, "nIterNoChange", "nIterNoChange must be an integer ≥ 1 (got 0)"],
    [{ tol: -0.1 }, "tol", "tol must be a finite number ≥ 0 (got -0.1)"],
    [{ seed: -1 }, "seed", "seed must be an integer in [0, 4294967295] (got -1)"],
    [{ seed: 2 ** 32 }, "seed", "seed must be an integer in [0, 4294967295] (got 4294967296)"],
  ])("rejects %j naming %s and its rule", (options, option, message) => {
    const error = rejected(options);
    expect(error.option).toBe(option);
    expect(error.message).toBe(message);
  });

  it("names an option it does not know, and lists the known ones", () => {
    const error = rejected({ maxFeatures: "sqrt" });
    expect(error.option).toBe("maxFeatures");
    expect(error.message).toMatch(/^maxFeatures is not a gbdt option \(known: nEstimators, /);
  });

  it("refuses options that are not an object", () => {
    expect(rejected(7).option).toBe("options");
    expect(rejected([]).option).toBe("options");
  });
});
