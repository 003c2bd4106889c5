import { HIST_STRIDE } from "./histogram.js";

/**
 * Smallest gain that makes a split (XGBoost's `kRtEps`): below it a split is rounding noise, e.g.
 * between rows whose gradients are all alike.
 */
export const MIN_SPLIT_GAIN = 1e-6;

/** The per-leaf limits a split must respect. */
export interface SplitRules {
  readonly minSamplesLeaf: number;
  readonly minHessianLeaf: number;
  /** λ, the L2 penalty on leaf values. */
  readonly l2Regularization: number;
}

/** Sums over a node's rows. */
export interface NodeSums {
  readonly gradient: number;
  readonly hessian: number;
  readonly count: number;
}

/** The best split of a node: rows whose bin of `feature` is ≤ `bin` go left. */
export interface Split {
  readonly feature: number;
  /** A histogram bin index (feature f's bin b is `offsets[f] + b`). */
  readonly bin: number;
  /** Loss decrease ×2: G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ). */
  readonly gain: number;
  readonly left: NodeSums;
  readonly right: NodeSums;
}

/**
 * The split of largest gain over `features` (ties: the first feature, then the lowest bin), or
 * `null` when no split leaves both sides `minSamplesLeaf` rows and `minHessianLeaf` hessian with
 * a gain above {@link MIN_SPLIT_GAIN}.
 *
 * With `minus`, `hist` holds the parent's histogram and first becomes this node's: each feature's
 * bins have `minus` (the sibling's) subtracted just before they are scanned, while they are in
 * cache (sibling subtraction and the scan in one sweep).
 */
export function bestSplit(
  hist: Float64Array,
  offsets: Int32Array,
  features: Int32Array,
  node: NodeSums,
  rules: SplitRules,
  minus: Float64Array | null = null,
): Split | null {
  const { minSamplesLeaf, minHessianLeaf, l2Regularization: lambda } = rules;
  const { gradient: g, hessian: h, count: n } = node;
  const parentScore = (g * g) / (h + lambda);
  let best = MIN_SPLIT_GAIN;
  // gain > best ⇔ G_L²/D_L + G_R²/D_R > best + parentScore: tested without dividing first.
  let bar = best + parentScore;
  let bestFeature = -1;
  let bestBin = -1;
  let bestG = 0;
  let bestH = 0;
  let bestN = 0;
  for (let j = 0; j < features.length; j++) {
    const f = features[j];
    const first = offsets[f];
    const last = offsets[f + 1] - 1;
    if (minus) {
      // Only the bins the sibling has rows in change: often few, the sibling being the smaller
      // child. (Its other bins hold exact zeros, so skipping them changes nothing.)
      for (let k = first * HIST_STRIDE, end = (last + 1) * HIST_STRIDE; k < end; k += HIST_STRIDE) {
        if (minus[k + 2] === 0) continue;
        hist[k] -= minus[k];
        hist[k + 1] -= minus[k + 1];
        hist[k + 2] -= minus[k + 2];
      }
    }
    let gl = 0;
    let hl = 0;
    let nl = 0;
    // The last bin cannot be a split point: nothing would go right.
    for (let b = first; b < last; b++) {
      const k = b * HIST_STRIDE;
      const count = hist[k + 2];
      // An empty bin moves no row: the split after it is the split before it. (Skipping it also
      // leaves out the rounding residue that sibling subtraction can leave in empty bins.)
      if (count === 0) continue;
      gl += hist[k];
      hl += hist[k + 1];
      nl += count;
      if (nl < minSamplesLeaf) continue;
      if (n - nl < minSamplesLeaf) break;
      const hr = h - hl;
      const dl = hl + lambda;
      const dr = hr + lambda;
      if (hl < minHessianLeaf || hr < minHessianLeaf || !(dl > 0 && dr > 0)) continue;
      const gr = g - gl;
      if (gl * gl * dr + gr * gr * dl <= bar * dl * dr) continue;
      const gain = (gl * gl) / dl + (gr * gr) / dr - parentScore;
      if (gain > best) {
        best = gain;
        bar = best + parentScore;
        bestFeature = f;
        bestBin = b;
        bestG = gl;
        bestH = hl;
        bestN = nl;
      }
    }
  }
  if (bestFeature < 0) return null;
  return {
    feature: bestFeature,
    bin: bestBin,
    gain: best,
    left: { gradient: bestG, hessian: bestH, count: bestN },
    right: { gradient: g - bestG, hessian: h - bestH, count: n - bestN },
  };
}
