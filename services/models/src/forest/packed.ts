import type { FlatTree } from "./tree.js";

/**
 * A forest's routing in one buffer, laid out for prediction: 16 bytes a node (a float64
 * threshold, an int32 feature, an int32 link), trees one after another, each in depth-first
 * preorder so a node's left child is the next node. A walk then touches one cache line per
 * level at most, where separate per-tree arrays cost a miss per array per level (a 100-tree
 * forest of a few hundred nodes each does not fit in L2).
 *
 * A split's link is its right child; a leaf's feature is −1 and its link the class it votes for.
 */
export class PackedForest {
  private readonly threshold: Float64Array;
  private readonly link: Int32Array;
  private readonly roots: Int32Array;

  constructor(trees: readonly FlatTree[]) {
    const total = trees.reduce((n, tree) => n + tree.feature.length, 0);
    const buffer = new ArrayBuffer(total * 16);
    this.threshold = new Float64Array(buffer);
    this.link = new Int32Array(buffer);
    this.roots = new Int32Array(trees.length);
    let next = 0;
    trees.forEach((tree, t) => {
      this.roots[t] = next;
      // Iterative preorder: a split writes its right child's position once its left subtree is laid out.
      const stack: { node: number; parent: number }[] = [{ node: 0, parent: -1 }];
      while (stack.length > 0) {
        const { node, parent } = stack.pop()!;
        const at = next++;
        if (parent >= 0) this.link[4 * parent + 3] = at;
        const feature = tree.feature[node];
        this.link[4 * at + 2] = feature;
        if (feature < 0) {
          this.link[4 * at + 3] = tree.leafClass[node];
        } else {
          this.threshold[2 * at] = tree.threshold[node];
          stack.push({ node: tree.right[node], parent: at }, { node: tree.left[node], parent: -1 });
        }
      }
    });
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
