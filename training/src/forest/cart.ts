import { Random } from "@mlops/garch/random";
import { emptyTree, type FlatTree, firstArgmax } from "@mlops/models";
import type { TreeParams } from "./options.js";

/**
 * Training rows laid out for split search, shared read-only by every tree (and, as
 * SharedArrayBuffer views, by every worker thread).
 */
export interface TrainingMatrix {
  readonly nRows: number;
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Column-major features: feature f of row i at `columns[f * nRows + i]`. */
  readonly columns: Float64Array;
  readonly y: Int32Array;
  /** Rows sorted by each feature: `order[f * nRows + r]` is the row of rank r for feature f. */
  readonly order: Int32Array;
  /** Weight of each class (class-weight option). */
  readonly classWeight: Float64Array;
}

/** Builds a {@link TrainingMatrix} from row-major features, sorting each feature once. */
export function trainingMatrix(
  x: Float64Array,
  y: Int32Array,
  nFeatures: number,
  nClasses: number,
  classWeight: Float64Array,
  share = false,
): TrainingMatrix {
  const nRows = y.length;
  const alloc = <T>(make: (buffer: ArrayBufferLike) => T, bytes: number): T =>
    make(share ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const columns = alloc((b) => new Float64Array(b), 8 * nRows * nFeatures);
  const order = alloc((b) => new Int32Array(b), 4 * nRows * nFeatures);
  const labels = alloc((b) => new Int32Array(b), 4 * nRows);
  const weights = alloc((b) => new Float64Array(b), 8 * nClasses);
  labels.set(y);
  weights.set(classWeight);
  const rows = new Int32Array(nRows);
  for (let f = 0; f < nFeatures; f++) {
    const column = columns.subarray(f * nRows, (f + 1) * nRows);
    for (let i = 0; i < nRows; i++) column[i] = x[i * nFeatures + f];
    for (let i = 0; i < nRows; i++) rows[i] = i;
    // Ties keep row order, so the presort (and every tree) is the same on every engine.
    rows.sort((a, b) => column[a] - column[b] || a - b);
    order.set(rows, f * nRows);
  }
  return { nRows, nFeatures, nClasses, columns, y: labels, order, classWeight: weights };
}

/**
 * Grows one CART classification tree with the Gini criterion, as scikit-learn's best splitter:
 * at each node up to `featuresPerNode` non-constant features are drawn without replacement, each
 * is scanned in presorted order for the threshold with the largest impurity decrease (thresholds
 * lie midway between consecutive distinct values), and rows are partitioned stably so every
 * feature's order stays sorted within each node. All randomness comes from `seed`.
 */
export function growTree(data: TrainingMatrix, params: TreeParams, seed: number): FlatTree {
  const { nRows, nFeatures, nClasses, columns, y } = data;
  const rng = new Random(seed);

  // Bootstrap as multiplicities; a row drawn c times weighs c (scikit-learn's sample weights).
  const counts = new Float64Array(nRows);
  if (params.bootstrap) for (let i = 0; i < nRows; i++) counts[rng.nextInt(nRows)]++;
  else counts.fill(1);
  const weight = new Float64Array(nRows);
  let nActive = 0;
  for (let i = 0; i < nRows; i++) {
    weight[i] = counts[i] * data.classWeight[y[i]];
    if (counts[i] > 0) nActive++;
  }
  // Per feature, the drawn rows in sorted order; node = the same range [start, end) in each.
  const idx = new Int32Array(nFeatures * nActive);
  for (let f = 0; f < nFeatures; f++) {
    let p = f * nActive;
    const sorted = data.order.subarray(f * nRows, (f + 1) * nRows);
    for (let r = 0; r < nRows; r++) if (counts[sorted[r]] > 0) idx[p++] = sorted[r];
  }

  const nodes = new NodeList(nClasses);
  const features = Int32Array.from({ length: nFeatures }, (_, f) => f);
  const goesLeft = new Uint8Array(nRows);
  const buffer = new Int32Array(nActive);
  const classTotal = new Float64Array(nClasses);
  const leftSum = new Float64Array(nClasses);
  const bestLeftSum = new Float64Array(nClasses);
  const stack: { node: number; start: number; end: number; depth: number }[] = [
    { node: nodes.add(), start: 0, end: nActive, depth: 0 },
  ];

  while (stack.length > 0) {
    const { node, start, end, depth } = stack.pop()!;
    const n = end - start;
    classTotal.fill(0);
    let total = 0;
    let drawn = 0;
    for (let p = start; p < end; p++) {
      const row = idx[p];
      classTotal[y[row]] += weight[row];
      total += weight[row];
      drawn += counts[row];
    }
    const impurity = gini(classTotal, total);
    nodes.samples[node] = drawn;

    let bestFeature = -1;
    let bestPos = -1;
    if (
      depth < params.maxDepth &&
      n >= params.minSamplesSplit &&
      n >= 2 * params.minSamplesLeaf &&
      impurity > Number.EPSILON
    ) {
      // Maximizing Σ wl²/Wl + Σ wr²/Wr is maximizing the Gini decrease (scikit-learn's proxy).
      let bestProxy = Number.NEGATIVE_INFINITY;
      let examined = 0;
      for (let j = 0; j < nFeatures && examined < params.featuresPerNode; j++) {
        const pick = j + rng.nextInt(nFeatures - j);
        const f = features[pick];
        features[pick] = features[j];
        features[j] = f;
        const base = f * nActive;
        const column = columns.subarray(f * nRows, (f + 1) * nRows);
        if (column[idx[base + start]] === column[idx[base + end - 1]]) continue;
        examined++;
        leftSum.fill(0);
        let leftTotal = 0;
        for (let p = start; p < end - 1; p++) {
          const row = idx[base + p];
          leftSum[y[row]] += weight[row];
          leftTotal += weight[row];
          const nLeft = p - start + 1;
          if (n - nLeft < params.minSamplesLeaf) break;
          if (nLeft < params.minSamplesLeaf) continue;
          if (column[row] === column[idx[base + p + 1]]) continue;
          const rightTotal = total - leftTotal;
          let leftSq = 0;
          let rightSq = 0;
          for (let k = 0; k < nClasses; k++) {
            const l = leftSum[k];
            const r = classTotal[k] - l;
            leftSq += l * l;
            rightSq += r * r;
          }
          const proxy = leftSq / leftTotal + rightSq / rightTotal;
          if (proxy > bestProxy) {
            bestProxy = proxy;
            bestFeature = f;
            bestPos = p;
            bestLeftSum.set(leftSum);
          }
        }
      }
    }

    if (bestFeature < 0) {
      nodes.makeLeaf(node, classTotal, total);
      continue;
    }

    const base = bestFeature * nActive;
    const column = columns.subarray(bestFeature * nRows, (bestFeature + 1) * nRows);
    const below = column[idx[base + bestPos]];
    const above = column[idx[base + bestPos + 1]];
    // Midpoint as scikit-learn; when it rounds onto the lower value, `<` would send that value
    // right, so use the upper value instead.
    let threshold = below / 2 + above / 2;
    if (threshold <= below) threshold = above;

    const mid = bestPos + 1;
    let leftTotal = 0;
    for (let k = 0; k < nClasses; k++) leftTotal += bestLeftSum[k];
    const rightSum = classTotal.map((t, k) => t - bestLeftSum[k]);
    const leftShare = leftTotal / total;
    nodes.gain[node] =
      impurity -
      leftShare * gini(bestLeftSum, leftTotal) -
      (1 - leftShare) * gini(rightSum, total - leftTotal);

    for (let p = start; p < end; p++) goesLeft[idx[base + p]] = p < mid ? 1 : 0;
    for (let f = 0; f < nFeatures; f++) {
      if (f === bestFeature) continue;
      const b = f * nActive;
      let l = start;
      let r = 0;
      for (let p = start; p < end; p++) {
        const row = idx[b + p];
        if (goesLeft[row] === 1) idx[b + l++] = row;
        else buffer[r++] = row;
      }
      idx.set(buffer.subarray(0, r), b + l);
    }

    const left = nodes.add();
    const right = nodes.add();
    nodes.feature[node] = bestFeature;
    nodes.threshold[node] = threshold;
    nodes.left[node] = left;
    nodes.right[node] = right;
    stack.push({ node: right, start: mid, end, depth: depth + 1 });
    stack.push({ node: left, start, end: mid, depth: depth + 1 });
  }
  return nodes.toTree();
}

function gini(classSum: Float64Array, total: number): number {
  let sq = 0;
  for (let k = 0; k < classSum.length; k++) sq += classSum[k] * classSum[k];
  return 1 - sq / (total * total);
}

/** Growable node storage for one tree under construction. */
class NodeList {
  readonly feature: number[] = [];
  readonly threshold: number[] = [];
  readonly left: number[] = [];
  readonly right: number[] = [];
  readonly gain: number[] = [];
  readonly samples: number[] = [];
  private readonly leaves = new Map<number, Float64Array>();

  constructor(private readonly nClasses: number) {}

  add(): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(0);
    this.right.push(0);
    this.gain.push(0);
    this.samples.push(0);
    return this.feature.length - 1;
  }

  makeLeaf(node: number, classSum: Float64Array, total: number): void {
    this.leaves.set(
      node,
      classSum.map((w) => w / total),
    );
  }

  toTree(): FlatTree {
    const n = this.feature.length;
    const tree = emptyTree(n, this.nClasses);
    tree.feature.set(this.feature);
    tree.threshold.set(this.threshold);
    tree.left.set(this.left);
    tree.right.set(this.right);
    tree.gain.set(this.gain);
    tree.samples.set(this.samples);
    for (const [node, distribution] of this.leaves) {
      tree.value.set(distribution, node * this.nClasses);
      tree.leafClass[node] = firstArgmax(distribution, 0, this.nClasses);
    }
    return tree;
  }
}
