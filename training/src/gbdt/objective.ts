/**
 * The losses boosting descends: binary log loss on one log-odds score per row, and multiclass
 * cross-entropy on softmax logits (one score and one tree per class and round). Scores are
 * row-major, `width` per row.
 */

import type { GbdtObjective } from "@mlops/models";
import { scoreClass, scoreProbabilities } from "@mlops/models";

/**
 * Smallest class share used for the starting scores: a class absent from the training rows starts
 * at log(1e-15) rather than −∞.
 */
const PRIOR_FLOOR = 1e-15;
/** Smallest hessian of a row, so that hessian sums stay positive where probabilities saturate. */
const HESSIAN_FLOOR = 1e-16;

/** The objective for `nClasses` classes. */
export function objectiveFor(nClasses: number): GbdtObjective {
  return nClasses === 2 ? "binary_logloss" : "multiclass_softmax";
}

/** Scores per row (and trees per round) of an objective. */
export function scoreWidth(objective: GbdtObjective, nClasses: number): number {
  return objective === "binary_logloss" ? 1 : nClasses;
}

/** The constant scores that minimise the loss on labels `y`: log-odds or log class shares. */
export function baseScore(objective: GbdtObjective, y: Int32Array, nClasses: number): number[] {
  const counts = new Float64Array(nClasses);
  for (const k of y) counts[k]++;
  const share = (k: number) =>
    Math.min(1 - PRIOR_FLOOR, Math.max(PRIOR_FLOOR, counts[k] / y.length));
  if (objective === "binary_logloss") return [Math.log(share(1) / (1 - share(1)))];
  return Array.from(counts, (_, k) => Math.log(share(k)));
}

/**
 * Gradient and hessian of the loss at every row's scores: tree k of the round reads row i's at
 * `gh[2(k·n + i)]` and `gh[2(k·n + i) + 1]`.
 */
export function computeGradients(
  scores: Float64Array,
  y: Int32Array,
  width: number,
  gh: Float64Array,
  probabilities: Float64Array,
): void {
  const n = y.length;
  if (width === 1) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-scores[i]));
      gh[2 * i] = p - y[i];
      gh[2 * i + 1] = Math.max(p * (1 - p), HESSIAN_FLOOR);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    scoreProbabilities(scores, i * width, width, probabilities, 0);
    for (let k = 0; k < width; k++) {
      const p = probabilities[k];
      const at = 2 * (k * n + i);
      gh[at] = p - (y[i] === k ? 1 : 0);
      gh[at + 1] = Math.max(p * (1 - p), HESSIAN_FLOOR);
    }
  }
}

/** Mean loss and accuracy of the scores on labels `y`. */
export function evaluateScores(
  scores: Float64Array,
  y: Int32Array,
  width: number,
): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    const base = i * width;
    if (scoreClass(scores, base, width) === y[i]) correct++;
    if (width === 1) {
      // log(1 + e^s) − y·s, without overflow.
      const s = scores[base];
      loss += Math.max(s, 0) + Math.log1p(Math.exp(-Math.abs(s))) - y[i] * s;
    } else {
      let max = scores[base];
      for (let k = 1; k < width; k++) max = Math.max(max, scores[base + k]);
      let sum = 0;
      for (let k = 0; k < width; k++) sum += Math.exp(scores[base + k] - max);
      loss += max + Math.log(sum) - scores[base + y[i]];
    }
  }
  return { loss: loss / y.length, accuracy: correct / y.length };
}
