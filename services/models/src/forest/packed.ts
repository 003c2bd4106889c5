import { packTrees } from "../packed-trees.js";
import type { FlatTree } from "./tree.js";

/**
 * A forest's routing in one buffer (the layout of `packTrees`). A leaf's link is the class it
 * votes for.
 */
export class PackedForest {
  private readonly threshold: Float64Array;
  private readonly link: Int32Array;
  private readonly roots: Int32Array;

  constructor(trees: readonly FlatTree[]) {
    const packed = packTrees(trees, ({ link }, tree, node, at) => {
      link[4 * at + 3] = tree.leafClass[node];
    });
    this.threshold = packed.number;
    this.link = packed.link;
    this.roots = packed.roots;
  }

  /** Number of trees. */
  get size(): number {
    return this.roots.length;
  }

  /** The class tree `t` votes for on the row of `x` starting at `base` (ml-cart's routing). */
  vote(t: number, x: Float64Array, base: number): number {
    const { threshold, link } = this;
    let node = this.roots[t];
    for (;;) {
      const feature = link[4 * node + 2];
      if (feature < 0) return link[4 * node + 3];
      node = x[base + feature] < threshold[2 * node] ? node + 1 : link[4 * node + 3];
    }
  }
}
