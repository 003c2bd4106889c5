/**
 * The node layout the packed predictors share: trees one after another in one buffer, 16 bytes a
 * node (a float64, an int32 feature that is −1 at a leaf, an int32 link), each tree in depth-first
 * preorder so that a split's left child is the next node and its link is the right child. A walk
 * then reads forward through memory, one cache line per level at most, where separate per-tree
 * arrays cost a miss per array per level. Prediction-side code: no imports.
 */

/** The shape of a tree as parallel arrays, node 0 the root; `feature` is negative at leaves. */
export interface TreeShape {
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
}

/** Packed trees: node k's float64 at `number[2k]`, feature at `link[4k + 2]`, link at `link[4k + 3]`. */
export interface PackedNodes {
  readonly number: Float64Array;
  readonly link: Int32Array;
  /** The first node of each tree. */
  readonly roots: Int32Array;
}

/** Writes a leaf's payload (node `node` of `tree`, packed at `at`) into its float64 or its link. */
export type LeafWriter<T extends TreeShape> = (
  packed: PackedNodes,
  tree: T,
  node: number,
  at: number,
) => void;

/**
 * Trees packed for a walk: what the forest's and the boosted trees' packed readers share; each
 * says what a leaf carries (its `LeafWriter`) and walks the nodes its own way.
 */
export class PackedTrees<T extends TreeShape> {
  protected readonly number: Float64Array;
  protected readonly link: Int32Array;
  protected readonly roots: Int32Array;

  constructor(trees: readonly T[], leaf: LeafWriter<T>) {
    const packed = packTrees(trees, leaf);
    this.number = packed.number;
    this.link = packed.link;
    this.roots = packed.roots;
  }

  /** Number of trees. */
  get size(): number {
    return this.roots.length;
  }
}

/** Packs `trees`: a split's float64 is its threshold; `leaf` writes a leaf's payload. */
function packTrees<T extends TreeShape>(trees: readonly T[], leaf: LeafWriter<T>): PackedNodes {
  const total = trees.reduce((n, tree) => n + tree.feature.length, 0);
  const buffer = new ArrayBuffer(total * 16);
  const packed = {
    number: new Float64Array(buffer),
    link: new Int32Array(buffer),
    roots: new Int32Array(trees.length),
  };
  let next = 0;
  trees.forEach((tree, t) => {
    packed.roots[t] = next;
    // Iterative preorder: a split learns its right child's position once its left subtree is laid out.
    const stack: { node: number; parent: number }[] = [{ node: 0, parent: -1 }];
    while (stack.length > 0) {
      const { node, parent } = stack.pop()!;
      const at = next++;
      if (parent >= 0) packed.link[4 * parent + 3] = at;
      const feature = tree.feature[node];
      packed.link[4 * at + 2] = feature < 0 ? -1 : feature;
      if (feature < 0) {
        leaf(packed, tree, node, at);
      } else {
        packed.number[2 * at] = tree.threshold[node];
        stack.push({ node: tree.right[node], parent: at }, { node: tree.left[node], parent: -1 });
      }
    }
  });
  return packed;
}
