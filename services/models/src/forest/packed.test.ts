import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PackedForest } from "./packed.js";
import { emptyTree, type FlatTree, treeVote } from "./tree.js";

/** A random tree over `nFeatures` columns: splits on random features and thresholds, any shape. */
function randomTree(shape: readonly number[], nFeatures: number, nClasses: number): FlatTree {
  // `shape` drives the growth: each entry decides whether the next open node splits.
  const nodes = 2 * shape.length + 1;
  const tree = emptyTree(nodes, nClasses);
  let used = 1;
  const open = [0];
  let s = 0;
  while (open.length > 0) {
    const node = open.shift()!;
    const draw = shape[s++] ?? -1;
    if (draw >= 0 && used + 2 <= nodes) {
      tree.feature[node] = draw % nFeatures;
      tree.threshold[node] = (draw % 7) - 3;
      tree.left[node] = used;
      tree.right[node] = used + 1;
      open.push(used, used + 1);
      used += 2;
    } else {
      tree.feature[node] = -1;
      tree.leafClass[node] = Math.abs(draw) % nClasses;
    }
  }
  return tree;
}

describe("PackedForest", () => {
  it("routes every row as the trees it packs do, one tree or all at once (NaN goes right)", () => {
    const value = fc.oneof(fc.double({ min: -5, max: 5, noNaN: true }), fc.constant(Number.NaN));
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -3, max: 40 }), { maxLength: 40 }), {
          minLength: 1,
          maxLength: 11,
        }),
        fc.array(fc.array(value, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 10 }),
        (shapes, rows) => {
          const trees = shapes.map((shape) => randomTree(shape, 3, 4));
          const packed = new PackedForest(trees);
          expect(packed.size).toBe(trees.length);
          const x = Float64Array.from(rows.flat());
          const votes = new Int32Array(trees.length);
          rows.forEach((_, i) => {
            packed.votes(x, i * 3, votes);
            trees.forEach((tree, t) => {
              expect(packed.vote(t, x, i * 3)).toBe(treeVote(tree, x, i, 3));
              expect(votes[t]).toBe(treeVote(tree, x, i, 3));
            });
          });
        },
      ),
    );
  });
});
