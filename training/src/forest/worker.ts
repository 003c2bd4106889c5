/**
 * Worker-thread entry (piscina): grows a batch of trees. It receives the training matrix as
 * SharedArrayBuffer views and returns typed-array trees, never ml-matrix objects (a structured
 * clone would drop their prototypes).
 */

import type { FlatTree } from "@mlops/models";
import { growTrees, type TreeBatch } from "./batch.js";

/** Grows the batch's trees; `null` is a ping that answers once the thread has loaded. */
export default function trainBatch(batch: TreeBatch | null): FlatTree[] {
  return batch === null ? [] : growTrees(batch);
}
