/**
 * Grows one regression tree on gradient/hessian histograms. Every open leaf that can split keeps
 * its histogram and best split; a split builds the histogram of the smaller child from its rows
 * and gets the larger child's by subtracting it from the parent's (the sibling-subtraction trick),
 * so each level reads at most half of the rows.
 */
import type { BinIndexes } from "./binning.js";
import { buildHistogram, HIST_STRIDE, type HistogramInputs } from "./histogram.js";
import type { Growth } from "./options.js";
import { bestSplit, type NodeSums, type Split, type SplitRules } from "./split.js";

/** What shapes a tree, from the hyperparameters. */
export interface GrowParams extends SplitRules {
  readonly growth: Growth;
  /** `Infinity` for no limit. */
  readonly maxDepth: number;
  /** `Infinity` for no limit. */
  readonly maxLeafNodes: number;
  readonly minSamplesSplit: number;
  readonly learningRate: number;
}

/** A tree as training grows it: splits route on histogram bin indexes (≤ `bin[i]` goes left). */
export interface BinnedTree {
  readonly feature: number[];
  readonly bin: number[];
  readonly left: number[];
  readonly right: number[];
  /** A leaf's score increment (shrinkage included); 0 at splits. */
  readonly value: number[];
}

/** A leaf's rows: positions [start, end) of the row index array. */
export interface LeafRows {
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

/** Builds a node's histogram for some features (on this thread or spread over workers). */
export interface HistogramBuilder {
  build(ghBase: number, start: number, end: number, features: Int32Array, hist: Float64Array): void;
}

/** The main thread's builder: every feature here. */
export function localBuilder(input: HistogramInputs): HistogramBuilder {
  return {
    build: (ghBase, start, end, features, hist) =>
      buildHistogram(input, ghBase, start, end, features, 0, features.length, hist),
  };
}

/** Histogram buffers for reuse across nodes and trees. */
export class HistogramPool {
  private readonly free: Float64Array[] = [];

  constructor(private readonly length: number) {}

  take(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.length);
  }

  give(hist: Float64Array | null): void {
    if (hist) this.free.push(hist);
  }
}

/** What one tree's growth works with. */
export interface GrowContext {
  readonly input: HistogramInputs;
  readonly builder: HistogramBuilder;
  readonly pool: HistogramPool;
  /** Scratch for partitioning, as long as `input.rows`. */
  readonly scratch: Int32Array;
  /**
   * `input.bins` column by column (feature f of row i at `f·n + i`): partitioning reads one
   * feature of scattered rows, which in row-major order would cost a cache line per row.
   */
  readonly columns: BinIndexes;
  readonly params: GrowParams;
}

interface OpenLeaf {
  readonly node: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly sums: NodeSums;
  hist: Float64Array | null;
  split: Split | null;
}

/**
 * Grows a tree on the rows at positions [0, nRows) of `input.rows` (which it partitions in place
 * so that each leaf's rows end up contiguous), with the gradients at `ghBase`, splitting only on
 * `features`. Leaf-wise growth splits the open leaf of largest gain next; depth-wise growth splits
 * in node order, which is level by level. Ties go to the lower node.
 */
export function growTree(
  context: GrowContext,
  ghBase: number,
  nRows: number,
  features: Int32Array,
): { tree: BinnedTree; leaves: LeafRows[] } {
  const { input, builder, pool, params } = context;
  const tree: BinnedTree = { feature: [-1], bin: [0], left: [-1], right: [-1], value: [0] };
  const rootHist = pool.take();
  builder.build(ghBase, 0, nRows, features, rootHist);
  const root: OpenLeaf = {
    node: 0,
    start: 0,
    end: nRows,
    depth: 0,
    sums: histogramSums(rootHist, input.offsets, features[0]),
    hist: rootHist,
    split: null,
  };
  const open: OpenLeaf[] = [root];
  root.split = splittable(root, params)
    ? bestSplit(rootHist, input.offsets, features, root.sums, params)
    : null;

  while (open.length < params.maxLeafNodes) {
    const at = nextToSplit(open, params.growth);
    if (at < 0) break;
    const parent = open[at];
    const split = parent.split!;
    const mid = partition(context, parent.start, parent.end, split.feature, split.bin);
    const node = tree.feature.length;
    tree.feature[parent.node] = split.feature;
    tree.bin[parent.node] = split.bin;
    tree.left[parent.node] = node;
    tree.right[parent.node] = node + 1;
    for (let c = 0; c < 2; c++) {
      tree.feature.push(-1);
      tree.bin.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
    }
    const depth = parent.depth + 1;
    const left: OpenLeaf = {
      node,
      start: parent.start,
      end: mid,
      depth,
      sums: split.left,
      hist: null,
      split: null,
    };
    const right: OpenLeaf = {
      node: node + 1,
      start: mid,
      end: parent.end,
      depth,
      sums: split.right,
      hist: null,
      split: null,
    };
    open.splice(at, 1, left, right);

    const [small, large] = left.sums.count <= right.sums.count ? [left, right] : [right, left];
    // With the last leaf spent, no child will split: their histograms and splits are not needed.
    const spent = open.length >= params.maxLeafNodes;
    const smallSplits = !spent && splittable(small, params);
    const largeSplits = !spent && splittable(large, params);
    if (!smallSplits && !largeSplits) {
      pool.give(parent.hist);
      continue;
    }
    const smallHist = pool.take();
    builder.build(ghBase, small.start, small.end, features, smallHist);
    const { offsets } = input;
    if (smallSplits) small.split = bestSplit(smallHist, offsets, features, small.sums, params);
    // The larger child's histogram is the parent's minus the smaller's, made in its split search.
    if (largeSplits) {
      large.split = bestSplit(parent.hist!, offsets, features, large.sums, params, smallHist);
    }
    // Only leaves that can still split keep a histogram.
    small.hist = small.split ? smallHist : null;
    large.hist = large.split ? parent.hist : null;
    if (!small.split) pool.give(smallHist);
    if (!large.split) pool.give(parent.hist);
  }

  const leaves = open.map((leaf) => {
    pool.give(leaf.hist);
    const value = leafValue(leaf.sums, params);
    tree.value[leaf.node] = value;
    return { start: leaf.start, end: leaf.end, value };
  });
  return { tree, leaves };
}

/** The leaf's score increment −η·G/(H + λ); 0 when its hessian is below `minHessianLeaf` (only a root can be). */
function leafValue(sums: NodeSums, params: GrowParams): number {
  const denominator = sums.hessian + params.l2Regularization;
  if (sums.count === 0 || sums.hessian < params.minHessianLeaf || !(denominator > 0)) return 0;
  return (-params.learningRate * sums.gradient) / denominator;
}

function splittable(leaf: OpenLeaf, params: GrowParams): boolean {
  const { count, hessian } = leaf.sums;
  return (
    leaf.depth < params.maxDepth &&
    count >= params.minSamplesSplit &&
    count >= 2 * params.minSamplesLeaf &&
    hessian >= 2 * params.minHessianLeaf
  );
}

/** Index in `open` of the leaf to split next, or −1 when none can be. */
function nextToSplit(open: readonly OpenLeaf[], growth: Growth): number {
  let best = -1;
  for (let i = 0; i < open.length; i++) {
    const split = open[i].split;
    if (!split) continue;
    if (best < 0) best = i;
    else if (growth === "leafwise") {
      const gain = open[best].split!.gain;
      if (split.gain > gain || (split.gain === gain && open[i].node < open[best].node)) best = i;
    } else if (open[i].node < open[best].node) best = i;
  }
  return best;
}

/** Sums of a node from one feature's bins of its histogram. */
function histogramSums(hist: Float64Array, offsets: Int32Array, feature: number): NodeSums {
  let gradient = 0;
  let hessian = 0;
  let count = 0;
  for (let b = offsets[feature]; b < offsets[feature + 1]; b++) {
    gradient += hist[b * HIST_STRIDE];
    hessian += hist[b * HIST_STRIDE + 1];
    count += hist[b * HIST_STRIDE + 2];
  }
  return { gradient, hessian, count };
}

/** Stable partition of positions [start, end): rows with bin ≤ `bin` first. Returns the boundary. */
function partition(
  context: GrowContext,
  start: number,
  end: number,
  feature: number,
  bin: number,
): number {
  const { rows } = context.input;
  const { scratch, columns } = context;
  const base = feature * rows.length;
  let l = start;
  let r = 0;
  // Branch-free: the side is as unpredictable as a coin, and a mispredicted branch per row
  // costs more than the two stores (rows[l] never overtakes rows[p]).
  for (let p = start; p < end; p++) {
    const i = rows[p];
    const left = (columns[base + i] - bin - 1) >>> 31;
    rows[l] = i;
    scratch[r] = i;
    l += left;
    r += 1 - left;
  }
  rows.set(scratch.subarray(0, r), l);
  return l;
}
