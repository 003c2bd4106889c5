import { ContractValidationError } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { GBDT_FORMAT_VERSION, type GbdtModelJSON, parseGbdtModel } from "./model.js";

/** A valid binary model: one stump, one leaf. */
function model(): GbdtModelJSON {
  return {
    kind: "gbdt",
    formatVersion: GBDT_FORMAT_VERSION,
    objective: "binary_logloss",
    nFeatures: 2,
    nClasses: 2,
    baseScore: [0.1],
    trees: [
      {
        feature: [1, -1, -1],
        threshold: [0.5, 0, 0],
        left: [1, -1, -1],
        right: [2, -1, -1],
        value: [0, -0.2, 0.3],
      },
      { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.05] },
    ],
  };
}

function issues(json: unknown): string[] {
  try {
    parseGbdtModel(json);
  } catch (error) {
    if (error instanceof ContractValidationError) return error.issues.map((i) => i.path);
    throw error;
  }
  return [];
}

describe("parseGbdtModel", () => {
  it("accepts a well-formed model, unchanged", () => {
    expect(parseGbdtModel(model())).toEqual(model());
  });

  it.each<[string, (m: GbdtModelJSON) => unknown, string]>([
    ["another kind", (m) => ({ ...m, kind: "forest" }), "kind"],
    ["a newer format", (m) => ({ ...m, formatVersion: GBDT_FORMAT_VERSION + 1 }), "formatVersion"],
    ["a binary objective for 3 classes", (m) => ({ ...m, nClasses: 3 }), "objective"],
    ["too many base scores", (m) => ({ ...m, baseScore: [0, 1] }), "baseScore"],
    ["a non-finite base score", (m) => ({ ...m, baseScore: [Number.NaN] }), "baseScore[0]"],
    ["no trees", (m) => ({ ...m, trees: [] }), "trees"],
    [
      "arrays of unequal length",
      (m) => {
        m.trees[0].value.pop();
        return m;
      },
      "trees[0].value",
    ],
    [
      "an unreachable node",
      (m) => {
        const t = m.trees[1];
        t.feature.push(-1);
        t.threshold.push(0);
        t.left.push(-1);
        t.right.push(-1);
        t.value.push(0);
        return m;
      },
      "trees[1].left",
    ],
  ])("rejects %s, naming the field", (_, mutate, path) => {
    expect(issues(mutate(model()))).toContain(path);
  });

  it.each<[string, "feature" | "left" | "right", number, number]>([
    ["a feature past the row", "feature", 0, 2],
    ["a child before its parent (a cycle)", "left", 0, 0],
    ["a child past the tree", "right", 0, 3],
    ["a node with two parents", "right", 0, 1],
    ["a leaf with a child", "left", 1, 2],
  ])("rejects %s, naming the node", (_, field, node, value) => {
    const m = model();
    m.trees[0][field][node] = value;
    expect(issues(m)).toContain(`trees[0].${field}[${node}]`);
  });

  it("requires whole rounds of trees for multiclass models", () => {
    const leaf = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0] };
    const three = {
      ...model(),
      objective: "multiclass_softmax",
      nClasses: 3,
      baseScore: [0, 0, 0],
    };
    expect(issues({ ...three, trees: [leaf, leaf] })).toContain("trees");
    expect(issues({ ...three, trees: [leaf, leaf, leaf] })).toEqual([]);
  });

  it("says what was being read in its message", () => {
    expect(() => parseGbdtModel({ ...model(), kind: "forest" })).toThrow(
      /^gbdt model is invalid: kind: /,
    );
  });
});
