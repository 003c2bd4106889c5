/**
 * Gradient/hessian histograms: for each feature and bin, the sums of the gradients and hessians
 * of a node's rows and their count, three float64s per bin (`HIST_STRIDE`), features at their
 * `FeatureBins.offsets`. Each feature's sums run over the rows in the same order whichever thread
 * computes them, which keeps fits byte-identical across thread counts.
 */
import type { BinIndexes } from "./binning.js";

/** Float64s per histogram bin: gradient sum, hessian sum, row count. */
export const HIST_STRIDE = 3;

/** What the histogram of a node reads: shared by the main thread and the histogram workers. */
export interface HistogramInputs {
  /** Row-major histogram bin indexes, `nFeatures` per row. */
  readonly bins: BinIndexes;
  readonly nFeatures: number;
  readonly offsets: Int32Array;
  /** Gradient and hessian of row i at `gh[ghBase + 2i]` and `gh[ghBase + 2i + 1]`. */
  readonly gh: Float64Array;
  /** Row indexes; a node owns the positions [start, end). */
  readonly rows: Int32Array;
}

/**
 * Sets the histogram of rows[start, end) in `hist` for the features `features[from..to)`
 * (other features' bins are left as they are).
 */
export function buildHistogram(
  input: HistogramInputs,
  ghBase: number,
  start: number,
  end: number,
  features: Int32Array,
  from: number,
  to: number,
  hist: Float64Array,
): void {
  const { bins, nFeatures, offsets, gh, rows } = input;
  for (let j = from; j < to; j++) {
    const f = features[j];
    hist.fill(0, offsets[f] * HIST_STRIDE, offsets[f + 1] * HIST_STRIDE);
  }
  // Two rows a step: their updates are independent, so the processor overlaps them (a fifth
  // faster than one row a step). Each bin still adds its rows in row order.
  let p = start;
  if (to - from === nFeatures) {
    // Every feature: each row's bins are read together, with no feature list in between.
    for (; p + 1 < end; p += 2) {
      const i = rows[p];
      const j = rows[p + 1];
      const gi = gh[ghBase + 2 * i];
      const hi = gh[ghBase + 2 * i + 1];
      const gj = gh[ghBase + 2 * j];
      const hj = gh[ghBase + 2 * j + 1];
      const rowI = i * nFeatures;
      const rowJ = j * nFeatures;
      for (let f = 0; f < nFeatures; f++) {
        const ki = bins[rowI + f] * HIST_STRIDE;
        hist[ki] += gi;
        hist[ki + 1] += hi;
        hist[ki + 2] += 1;
        const kj = bins[rowJ + f] * HIST_STRIDE;
        hist[kj] += gj;
        hist[kj + 1] += hj;
        hist[kj + 2] += 1;
      }
    }
  } else {
    for (; p + 1 < end; p += 2) {
      const i = rows[p];
      const j = rows[p + 1];
      const gi = gh[ghBase + 2 * i];
      const hi = gh[ghBase + 2 * i + 1];
      const gj = gh[ghBase + 2 * j];
      const hj = gh[ghBase + 2 * j + 1];
      const rowI = i * nFeatures;
      const rowJ = j * nFeatures;
      for (let q = from; q < to; q++) {
        const f = features[q];
        const ki = bins[rowI + f] * HIST_STRIDE;
        hist[ki] += gi;
        hist[ki + 1] += hi;
        hist[ki + 2] += 1;
        const kj = bins[rowJ + f] * HIST_STRIDE;
        hist[kj] += gj;
        hist[kj + 1] += hj;
        hist[kj + 2] += 1;
      }
    }
  }
  if (p < end) {
    // The odd row out.
    const i = rows[p];
    const row = i * nFeatures;
    for (let q = from; q < to; q++) {
      const k = bins[row + features[q]] * HIST_STRIDE;
      hist[k] += gh[ghBase + 2 * i];
      hist[k + 1] += gh[ghBase + 2 * i + 1];
      hist[k + 2] += 1;
    }
  }
}
