import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GBDT_FORMAT_VERSION, type GbdtModelJSON, type GbdtTreeJSON } from "./model.js";
import { BoostedTreesPredictor, PackedBoostedTrees } from "./packed.js";

/** A random tree over `nFeatures` columns; `shape` decides, node by node, whether it splits. */
function randomTree(shape: readonly number[], nFeatures: number): GbdtTreeJSON {
  const tree: GbdtTreeJSON = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0] };
  const open = [0];
  let s = 0;
  while (open.length > 0) {
    const node = open.shift()!;
    const draw = shape[s++] ?? -1;
    if (draw >= 0) {
      const left = tree.feature.length;
      tree.feature[node] = draw % nFeatures;
      tree.threshold[node] = (draw % 7) - 3 + 0.5;
      tree.left[node] = left;
      tree.right[node] = left + 1;
      for (const _ of [left, left + 1]) {
        tree.feature.push(-1);
        tree.threshold.push(0);
        tree.left.push(-1);
        tree.right.push(-1);
        tree.value.push(0);
      }
      open.push(left, left + 1);
    } else {
      tree.value[node] = draw / 8;
    }
  }
  return tree;
}

/** The reference: walk the JSON tree as its documentation says (≤ left, else and NaN right). */
function walk(tree: GbdtTreeJSON, row: readonly number[]): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    node = row[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  }
  return tree.value[node];
}

const NF = 3;
const modelArbitrary = fc
  .record({
    nClasses: fc.integer({ min: 2, max: 4 }),
    rounds: fc.integer({ min: 1, max: 4 }),
    shapes: fc.array(fc.array(fc.integer({ min: -9, max: 40 }), { maxLength: 30 }), {
      minLength: 16,
      maxLength: 16,
    }),
    base: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ nClasses, rounds, shapes, base }): GbdtModelJSON => {
    const width = nClasses === 2 ? 1 : nClasses;
    return {
      kind: "gbdt",
      formatVersion: GBDT_FORMAT_VERSION,
      objective: nClasses === 2 ? "binary_logloss" : "multiclass_softmax",
      nFeatures: NF,
      nClasses,
      baseScore: base.slice(0, width),
      trees: shapes.slice(0, rounds * width).map((shape) => randomTree(shape, NF)),
    };
  });

const rowsArbitrary = fc.array(
  fc.array(fc.oneof(fc.double({ min: -5, max: 5, noNaN: true }), fc.constant(Number.NaN)), {
    minLength: NF,
    maxLength: NF,
  }),
  { minLength: 1, maxLength: 8 },
);

describe("PackedBoostedTrees", () => {
  it("scores every row as walking the model's trees does (NaN goes right)", () => {
    fc.assert(
      fc.property(modelArbitrary, rowsArbitrary, (model, rows) => {
        const predictor = BoostedTreesPredictor.fromJSON(model);
        const width = model.baseScore.length;
        const scores = predictor.rawScores(Float64Array.from(rows.flat()));
        rows.forEach((row, i) => {
          const expected = [...model.baseScore];
          model.trees.forEach((tree, t) => {
            expected[t % width] += walk(tree, row);
          });
          expected.forEach((e, k) => {
            expect(scores[i * width + k]).toBe(e);
          });
        });
      }),
    );
  });

  it("counts its trees", () => {
    const tree = randomTree([0, -1, -2], NF);
    expect(new PackedBoostedTrees([tree, tree, tree]).size).toBe(3);
  });
});

describe("BoostedTreesPredictor", () => {
  it("turns scores into probabilities that sum to 1 and classes by the largest score", () => {
    fc.assert(
      fc.property(modelArbitrary, rowsArbitrary, (model, rows) => {
        const predictor = BoostedTreesPredictor.fromJSON(model);
        const x = Float64Array.from(rows.flat());
        const { prediction, probabilities } = predictor.classify(x);
        const scores = predictor.rawScores(x);
        const width = predictor.width;
        rows.forEach((_, i) => {
          const p = probabilities.subarray(i * model.nClasses, (i + 1) * model.nClasses);
          expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
          if (width === 1) {
            expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-scores[i])), 12);
            expect(prediction[i]).toBe(scores[i] > 0 ? 1 : 0);
          } else {
            const s = Array.from(scores.subarray(i * width, (i + 1) * width));
            expect(prediction[i]).toBe(s.indexOf(Math.max(...s)));
          }
        });
        expect(predictor.predict(x)).toEqual(prediction);
        expect(predictor.predictProbabilities(x)).toEqual(probabilities);
      }),
    );
  });

  it("rejects rows of the wrong width", () => {
    const tree = randomTree([1, -1, -3], NF);
    const predictor = BoostedTreesPredictor.fromJSON({
      kind: "gbdt",
      formatVersion: GBDT_FORMAT_VERSION,
      objective: "binary_logloss",
      nFeatures: NF,
      nClasses: 2,
      baseScore: [0],
      trees: [tree],
    });
    expect(() => predictor.predict(new Float64Array(4))).toThrow(
      "x length must be a multiple of the 3 features (got 4)",
    );
  });
});
