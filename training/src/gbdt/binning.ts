/**
 * Quantile binning of features, as scikit-learn's histogram gradient boosting does it: a feature
 * with at most `maxBins` distinct values gets a bin per value (edges at the midpoints between
 * them), otherwise edges at the midpoint percentiles 1/maxBins … (maxBins−1)/maxBins. A value v
 * falls in the first bin b with v ≤ edges[b] (or the last bin), so "bin ≤ b" and "v ≤ edges[b]"
 * route every value alike: trees split on bins while training and on the edges when predicting.
 *
 * Binned rows hold histogram bin indexes (feature f's bin b as `offsets[f] + b`), so building a
 * histogram needs no per-feature offset.
 */
import { Random } from "@mlops/garch/random";

/** Rows the edges are computed from at most (a seeded sample above it), as scikit-learn. */
export const BINNING_SAMPLE = 200_000;

/** Per-feature bin edges and where each feature's bins start in a histogram. */
export interface FeatureBins {
  /** `edges[f]`: ascending thresholds; feature f has `edges[f].length + 1` bins. */
  readonly edges: readonly Float64Array[];
  /** `offsets[f]`: the first histogram bin of feature f; `offsets[F]` is the total. */
  readonly offsets: Int32Array;
}

/** Edges for each feature of the row-major `x` (`nFeatures` columns), from `rows` only. */
export function fitBins(
  x: Float64Array,
  nFeatures: number,
  rows: Int32Array,
  maxBins: number,
  seed: number,
): FeatureBins {
  const sample = rows.length > BINNING_SAMPLE ? sampleRows(rows, seed) : rows;
  const column = new Float64Array(sample.length);
  const edges: Float64Array[] = [];
  const offsets = new Int32Array(nFeatures + 1);
  for (let f = 0; f < nFeatures; f++) {
    for (let i = 0; i < sample.length; i++) column[i] = x[sample[i] * nFeatures + f];
    column.sort();
    const featureEdges = columnEdges(column, maxBins);
    edges.push(featureEdges);
    offsets[f + 1] = offsets[f] + featureEdges.length + 1;
  }
  return { edges, offsets };
}

/** Histogram bin indexes of binned rows: 16 bits while every feature's bins fit, else 32. */
export type BinIndexes = Uint16Array | Uint32Array;

/**
 * The histogram bin index of every value of the row-major `x`, row-major too; in shared memory
 * when `shared` (for histogram workers).
 */
export function binRows(
  x: Float64Array,
  nFeatures: number,
  bins: FeatureBins,
  shared = false,
): BinIndexes {
  const nRows = x.length / nFeatures;
  const Memory = shared ? SharedArrayBuffer : ArrayBuffer;
  const out =
    bins.offsets[nFeatures] <= 0x10000
      ? new Uint16Array(new Memory(2 * x.length))
      : new Uint32Array(new Memory(4 * x.length));
  for (let f = 0; f < nFeatures; f++) {
    const edges = bins.edges[f];
    const offset = bins.offsets[f];
    for (let i = 0; i < nRows; i++)
      out[i * nFeatures + f] = offset + binOf(edges, x[i * nFeatures + f]);
  }
  return out;
}

/** The first b with v ≤ edges[b], or edges.length: the number of edges below v. */
function binOf(edges: Float64Array, v: number): number {
  // Branch-free binary search over the edges.length + 1 bins (a mispredicted branch at every
  // step costs more than the multiply).
  let base = 0;
  for (let n = edges.length + 1; n > 1; ) {
    const half = n >>> 1;
    base += Number(edges[base + half - 1] < v) * half;
    n -= half;
  }
  return base;
}

function columnEdges(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length && distinct.length <= maxBins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  }
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) edges.push(between(distinct[i - 1], distinct[i]));
    return Float64Array.from(edges);
  }
  // numpy's percentile with method "midpoint": the mean of the two order statistics around q·(n−1).
  const last = sorted.length - 1;
  for (let q = 1; q < maxBins; q++) {
    const at = (q / maxBins) * last;
    const edge = (sorted[Math.floor(at)] + sorted[Math.ceil(at)]) / 2;
    // Repeated values give repeated percentiles; an edge must rise, and the top value needs a bin.
    if ((edges.length === 0 || edge > edges[edges.length - 1]) && edge < sorted[last]) {
      edges.push(edge);
    }
  }
  return Float64Array.from(edges);
}

/** A threshold a ≤ t < b between neighbours a < b (their midpoint unless it rounds onto b). */
function between(a: number, b: number): number {
  const mid = a / 2 + b / 2;
  return mid < b ? mid : a;
}

function sampleRows(rows: Int32Array, seed: number): Int32Array {
  const picked = Int32Array.from(rows);
  const rng = new Random(seed);
  // Partial Fisher–Yates: the first BINNING_SAMPLE positions become a uniform sample.
  for (let i = 0; i < BINNING_SAMPLE; i++) {
    const j = i + rng.nextInt(picked.length - i);
    const tmp = picked[i];
    picked[i] = picked[j];
    picked[j] = tmp;
  }
  return picked.subarray(0, BINNING_SAMPLE).sort();
}

/** Row-major bins of `nFeatures` columns, column by column: feature f of row i at `f·n + i`. */
export function transposeBins(bins: BinIndexes, nFeatures: number): BinIndexes {
  const n = bins.length / nFeatures;
  const out =
    bins instanceof Uint16Array ? new Uint16Array(bins.length) : new Uint32Array(bins.length);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < nFeatures; f++) out[f * n + i] = bins[i * nFeatures + f];
  }
  return out;
}
