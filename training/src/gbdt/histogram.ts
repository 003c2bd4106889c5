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
  if (to - from === nFeatures) {
    // Every feature: one pass over the rows, each row's bins read together.
    for (let p = start; p < end; p++) {
      const i = rows[p];
      const g = gh[ghBase + 2 * i];
      const h = gh[ghBase + 2 * i + 1];
      const row = i * nFeatures;
      for (let f = 0; f < nFeatures; f++) {
        const k = bins[row + f] * HIST_STRIDE;
        hist[k] += g;
        hist[k + 1] += h;
        hist[k + 2] += 1;
      }
    }
    return;
  }
  for (let p = start; p < end; p++) {
    const i = rows[p];
    const g = gh[ghBase + 2 * i];
    const h = gh[ghBase + 2 * i + 1];
    const row = i * nFeatures;
    for (let j = from; j < to; j++) {
      const f = features[j];
      const k = bins[row + f] * HIST_STRIDE;
      hist[k] += g;
      hist[k + 1] += h;
      hist[k + 2] += 1;
    }
  }
}
