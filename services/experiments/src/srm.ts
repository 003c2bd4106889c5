/**
 * Sample ratio mismatch: did traffic split the way the experiment was configured? A chi-squared
 * goodness-of-fit test of the observed arm counts against the configured weights. A mismatch
 * means assignment or logging is broken, so no comparison between the arms can be trusted.
 */
import { chiSquareSf } from "./distributions.js";
import { ExperimentsInputError } from "./errors.js";
import {
  requireAtLeast,
  requireCount,
  requireOpenInterval,
  requirePositive,
  requireSameLength,
} from "./validate.js";

/**
 * Flag threshold: p < 0.001 keeps false alarms rare across many experiments (with a 5 % base
 * rate of real SRM, about 2 % of warnings are false at 0.001 against about half at 0.05).
 */
export const DEFAULT_SRM_THRESHOLD = 0.001;

/**
 * Most arms `srmTest` compares: the chi-squared tail is verified to 1e-10 up to 129 degrees of
 * freedom (distributions.ts); an experiment has at most 16 variants.
 */
export const MAX_SRM_ARMS = 100;

/** Options of `srmTest`. */
export interface SrmOptions {
  /** Flag when the p-value is below this. Default 0.001. */
  readonly threshold?: number;
}

/** The goodness-of-fit result. */
export interface SrmResult {
  readonly chi2: number;
  /** k − 1 for k arms. */
  readonly df: number;
  readonly pValue: number;
  /** Expected count per arm: total × normalised weight. */
  readonly expected: number[];
  /** pValue < threshold. */
  readonly mismatch: boolean;
}

/**
 * Chi-squared goodness of fit of `counts` against `weights` normalised to sum to 1 (R's
 * `chisq.test(counts, p = weights / sum(weights))`). Needs 2 to MAX_SRM_ARMS arms, whole
 * non-negative counts with a positive total, and positive finite weights of the same length.
 */
export function srmTest(counts: number[], weights: number[], opts?: SrmOptions): SrmResult {
  requireAtLeast("counts", counts.length, 2, "arms");
  if (counts.length > MAX_SRM_ARMS) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "counts",
      `must have at most ${MAX_SRM_ARMS} arms, got ${counts.length}`,
    );
  }
  requireSameLength("counts", counts, "weights", weights);
  for (const [i, c] of counts.entries()) requireCount(`counts[${i}]`, c);
  for (const [i, w] of weights.entries()) requirePositive(`weights[${i}]`, w);
  const threshold = opts?.threshold ?? DEFAULT_SRM_THRESHOLD;
  requireOpenInterval("opts.threshold", threshold, 0, 1);
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) {
    throw new ExperimentsInputError("NOT_POSITIVE", "counts", "must not all be 0");
  }
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const expected = weights.map((w) => (total * w) / weightSum);
  let chi2 = 0;
  for (let i = 0; i < counts.length; i++) {
    const d = counts[i]! - expected[i]!;
    chi2 += (d * d) / expected[i]!;
  }
  const df = counts.length - 1;
  const pValue = chiSquareSf(chi2, df);
  return { chi2, df, pValue, expected, mismatch: pValue < threshold };
}
