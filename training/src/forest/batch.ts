import { deriveSeed } from "@mlops/garch/random";
import type { FlatTree } from "@mlops/models";
import { growTree, type TrainingMatrix } from "./cart.js";
import type { TreeParams } from "./options.js";

/** Trees `from`..`to`−1 of a forest, as a unit of work for the main thread or a worker. */
export interface TreeBatch {
  readonly data: TrainingMatrix;
  readonly params: TreeParams;
  /** The forest's seed; tree t grows from `deriveSeed(seed, t)`. */
  readonly seed: number;
  readonly from: number;
  readonly to: number;
}

/** Grows the batch's trees. Each depends only on (data, params, seed, tree index). */
export function growTrees({ data, params, seed, from, to }: TreeBatch): FlatTree[] {
  const trees: FlatTree[] = [];
  for (let t = from; t < to; t++) trees.push(growTree(data, params, deriveSeed(seed, t)));
  return trees;
}
