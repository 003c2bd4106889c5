import { ModelFormatError } from "../errors.js";

/**
 * A decision tree as parallel typed arrays: what the learner produces, what worker threads post,
 * and what the predictor walks. Node 0 is the root. Routing is ml-cart's: a row goes left when
 * `row[feature] < threshold`, else right (NaN therefore goes right).
 */
export interface FlatTree {
  readonly nClasses: number;
  /** Split feature (a column of the full feature matrix), or −1 for a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Weighted Gini decrease of the split (0 at leaves). */
  readonly gain: Float64Array;
  /** Rows reaching the node, counting bootstrap repeats. */
  readonly samples: Float64Array;
  /** Leaf class distribution, `nClasses` per node (zeros at internal nodes). */
  readonly value: Float64Array;
  /** The class a leaf votes for: the first largest entry of its distribution (ml-matrix's maxRowIndex). */
  readonly leafClass: Int32Array;
}

/** An internal node as ml-cart 2.1 serializes it (the fields its loader and featureImportance read). */
export interface CartSplitJSON {
  splitValue: number;
  splitColumn: number;
  gain: number;
  numberSamples: number;
  left: CartNodeJSON;
  right: CartNodeJSON;
}

/** A leaf as ml-cart 2.1 serializes it: a one-row matrix of class probabilities. */
export interface CartLeafJSON {
  distribution: number[][];
}

export type CartNodeJSON = CartSplitJSON | CartLeafJSON;

/** Index of the first largest value in `values[from, from + n)`, relative to `from`. */
export function firstArgmax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (values[from + k] > values[from + best]) best = k;
  return best;
}

/** The class tree `tree` votes for on row `row` of the row-major matrix `x` with `nFeatures` columns. */
export function treeVote(tree: FlatTree, x: Float64Array, row: number, nFeatures: number): number {
  const base = row * nFeatures;
  let node = 0;
  for (;;) {
    const f = tree.feature[node];
    if (f < 0) return tree.leafClass[node];
    node = x[base + f] < tree.threshold[node] ? tree.left[node] : tree.right[node];
  }
}

/** Serializes a tree to ml-cart's nested node layout. */
export function treeToJSON(tree: FlatTree): CartNodeJSON {
  const build = (node: number): CartNodeJSON => {
    if (tree.feature[node] < 0) {
      const from = node * tree.nClasses;
      return { distribution: [Array.from(tree.value.subarray(from, from + tree.nClasses))] };
    }
    return {
      splitValue: tree.threshold[node],
      splitColumn: tree.feature[node],
      gain: tree.gain[node],
      numberSamples: tree.samples[node],
      left: build(tree.left[node]),
      right: build(tree.right[node]),
    };
  };
  return build(0);
}

/**
 * Reads ml-cart's node layout back into a {@link FlatTree}. `columns` maps the tree's column
 * numbers to feature-matrix columns (ml-random-forest's per-tree `indexes`). Leaves may hold
 * fewer than `nClasses` entries (ml-cart sizes them by the largest class seen); missing ones are 0.
 * A malformed node throws a {@link ModelFormatError} named by its `path` from the root.
 */
export function treeFromJSON(
  root: CartNodeJSON,
  nClasses: number,
  columns: readonly number[],
  path = "root",
): FlatTree {
  const nodes: CartNodeJSON[] = [];
  const walk: { node: unknown; path: string }[] = [{ node: root, path }];
  while (walk.length > 0) {
    const { node, path } = walk.pop()!;
    nodes.push(checkNode(node, path, columns.length));
    if (!("distribution" in (node as CartNodeJSON))) {
      const split = node as CartSplitJSON;
      walk.push(
        { node: split.right, path: `${path}.right` },
        { node: split.left, path: `${path}.left` },
      );
    }
  }
  const n = nodes.length;
  const tree = emptyTree(n, nClasses);
  const id = new Map(nodes.map((node, i) => [node, i]));
  nodes.forEach((node, i) => {
    if ("distribution" in node) {
      const row = node.distribution[0];
      tree.feature[i] = -1;
      tree.value.set(row.slice(0, nClasses), i * nClasses);
      tree.leafClass[i] = firstArgmax(row, 0, row.length);
    } else {
      tree.feature[i] = columns[node.splitColumn];
      tree.threshold[i] = node.splitValue;
      tree.left[i] = id.get(node.left)!;
      tree.right[i] = id.get(node.right)!;
      tree.gain[i] = node.gain;
      tree.samples[i] = node.numberSamples;
    }
  });
  return tree;
}

/** Checks one node of a saved tree; `path` names it in the error (e.g. `root.left.right`). */
function checkNode(node: unknown, path: string, nColumns: number): CartNodeJSON {
  const fail = (rule: string, value: unknown): never => {
    throw new ModelFormatError(path, rule, value);
  };
  if (typeof node !== "object" || node === null) return fail("must be a tree node object", node);
  if ("distribution" in node) {
    const { distribution } = node;
    if (
      !Array.isArray(distribution) ||
      !Array.isArray(distribution[0]) ||
      distribution[0].length === 0
    ) {
      fail("distribution must be a one-row matrix of class probabilities", distribution);
    }
    return node as CartLeafJSON;
  }
  const split = node as Partial<CartSplitJSON>;
  if (
    !Number.isInteger(split.splitColumn) ||
    split.splitColumn! < 0 ||
    split.splitColumn! >= nColumns
  ) {
    fail(`splitColumn must be an integer in [0, ${nColumns - 1}]`, split.splitColumn);
  }
  if (typeof split.splitValue !== "number") fail("splitValue must be a number", split.splitValue);
  return node as CartSplitJSON;
}

/** A tree of `n` zeroed nodes. */
export function emptyTree(n: number, nClasses: number): FlatTree {
  return {
    nClasses,
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    gain: new Float64Array(n),
    samples: new Float64Array(n),
    value: new Float64Array(n * nClasses),
    leafClass: new Int32Array(n),
  };
}
