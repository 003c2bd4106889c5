/**
 * From raw boosting scores to classes and probabilities, shared by training and the predictor so
 * both decide alike. A binary model has one score per row (the log-odds of class 1); a
 * multiclass model one per class (softmax logits).
 */

/** The class of one row's scores at `scores[base..base+width)`: binary: 1 iff score > 0; else the first largest. */
export function scoreClass(scores: Float64Array, base: number, width: number): number {
  if (width === 1) return scores[base] > 0 ? 1 : 0;
  let best = 0;
  for (let k = 1; k < width; k++) if (scores[base + k] > scores[base + best]) best = k;
  return best;
}

/**
 * Writes one row's class probabilities to `out[outBase..outBase+nClasses)`: [1 − σ(s), σ(s)] for
 * a binary score s, the softmax of the scores otherwise.
 */
export function scoreProbabilities(
  scores: Float64Array,
  base: number,
  width: number,
  out: Float64Array,
  outBase: number,
): void {
  if (width === 1) {
    const p = 1 / (1 + Math.exp(-scores[base]));
    out[outBase] = 1 - p;
    out[outBase + 1] = p;
    return;
  }
  let max = scores[base];
  for (let k = 1; k < width; k++) max = Math.max(max, scores[base + k]);
  let sum = 0;
  for (let k = 0; k < width; k++) {
    const e = Math.exp(scores[base + k] - max);
    out[outBase + k] = e;
    sum += e;
  }
  for (let k = 0; k < width; k++) out[outBase + k] /= sum;
}
