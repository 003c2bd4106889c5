import { PackedTrees } from "../packed-trees.js";
import type { FlatTree } from "./tree.js";

/** A forest's routing in one buffer (`PackedTrees`). A leaf's link is the class it votes for. */
export class PackedForest extends PackedTrees<FlatTree> {
  constructor(trees: readonly FlatTree[]) {
    super(trees, ({ link }, tree, node, at) => {
      link[4 * at + 3] = tree.leafClass[node];
    });
  }

  /** The class tree `t` votes for on the row of `x` starting at `base` (ml-cart's routing). */
  vote(t: number, x: Float64Array, base: number): number {
    const { number: threshold, link } = this;
    let node = this.roots[t];
    for (;;) {
      const feature = link[4 * node + 2];
      if (feature < 0) return link[4 * node + 3];
      node = x[base + feature] < threshold[2 * node] ? node + 1 : link[4 * node + 3];
    }
  }
}
