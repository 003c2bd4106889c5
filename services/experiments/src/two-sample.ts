/**
 * Fixed-horizon two-sample tests on a difference b − a: Welch's t-test (from raw samples or from
 * sufficient statistics), the relative lift b/a − 1 with a delta-method interval, and the
 * two-proportion z-test.
 */

import {
  normalCritical,
  normalTwoSidedP,
  type TwoSidedLevel,
  tCritical,
  tTwoSidedP,
} from "./distributions.js";
import { ExperimentsInputError } from "./errors.js";
import { momentsOf, summarize } from "./moments.js";
import type { ProportionCounts, SampleSummary } from "./types.js";
import {
  requireOpenInterval,
  requireProportion,
  requireSample,
  requireSummary,
} from "./validate.js";

/** Options shared by the fixed-horizon tests. */
export interface IntervalOptions {
  /** Two-sided confidence level of `ci`, in (0, 1). Default 0.95. */
  readonly confidence?: number;
  /**
   * The level as 1 − confidence, in (0, 1), instead of `confidence`: what to give for a small
   * alpha, whose digits 1 − alpha would round away (an experiment's alpha may be 1e-12).
   */
  readonly alpha?: number;
}

/** Welch's unequal-variance t-test of mean(b) − mean(a). */
export interface WelchResult {
  /** t statistic, diff / se. */
  readonly t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df: number;
  /** Two-sided p-value. */
  readonly pValue: number;
  /** Confidence interval for mean(b) − mean(a). */
  readonly ci: [number, number];
  /** mean(b) − mean(a). */
  readonly diff: number;
  /** Standard error of `diff`, sqrt(var(a)/n(a) + var(b)/n(b)). */
  readonly se: number;
}

/** Relative lift mean(b)/mean(a) − 1 with a delta-method normal interval. */
export interface LiftResult {
  readonly lift: number;
  readonly se: number;
  readonly ci: [number, number];
  /** Two-sided p-value of lift = 0 (z = lift / se). */
  readonly pValue: number;
}

/** Two-proportion z-test of p(b) − p(a). */
export interface ProportionTestResult {
  /** z statistic with the pooled standard error (the SE under H₀: p(a) = p(b)). */
  readonly z: number;
  readonly pValue: number;
  /** p̂(b) − p̂(a). */
  readonly diff: number;
  /** Wald interval with the unpooled standard error. */
  readonly ci: [number, number];
  readonly pooledSe: number;
  readonly se: number;
}

function levelOf(opts: IntervalOptions | undefined): TwoSidedLevel {
  if (opts?.alpha === undefined) {
    const confidence = opts?.confidence ?? 0.95;
    requireOpenInterval("opts.confidence", confidence, 0, 1);
    return { confidence, alpha: 1 - confidence };
  }
  if (opts.confidence !== undefined) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "opts.alpha",
      "must not be given with opts.confidence (one sets the other)",
    );
  }
  requireOpenInterval("opts.alpha", opts.alpha, 0, 1);
  return { confidence: 1 - opts.alpha, alpha: opts.alpha };
}

/**
 * Welch's t-test on raw samples: two-sided, `ci` for mean(b) − mean(a) at `opts.confidence`
 * (or 1 − `opts.alpha`; default 95 %). Both samples need at least 2 finite values and not both
 * may be constant.
 */
export function welchTTest(a: number[], b: number[], opts?: IntervalOptions): WelchResult {
  requireSample("a", a, 2);
  requireSample("b", b, 2);
  return welchTTestFromSummary(summarize(momentsOf(a)), summarize(momentsOf(b)), opts);
}

/** Welch's t-test from sufficient statistics (n, mean, unbiased variance) of each arm. */
export function welchTTestFromSummary(
  a: SampleSummary,
  b: SampleSummary,
  opts?: IntervalOptions,
): WelchResult {
  requireSummary("a", a);
  requireSummary("b", b);
  const level = levelOf(opts);
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se2 = va + vb;
  if (!(se2 > 0)) {
    throw new ExperimentsInputError(
      "DEGENERATE",
      "a, b",
      "must not both have zero variance (the t statistic is undefined)",
    );
  }
  const se = Math.sqrt(se2);
  const diff = b.mean - a.mean;
  const t = diff / se;
  // Welch–Satterthwaite; a zero-variance arm contributes nothing to the denominator. In shares
  // of se², whose square overflows for outcomes near 1e100 (variances near 1e200).
  const ra = va / se2;
  const rb = vb / se2;
  const df = 1 / ((ra * ra) / (a.n - 1) + (rb * rb) / (b.n - 1));
  const q = tCritical(level, df);
  return { t, df, pValue: tTwoSidedP(t, df), ci: [diff - q * se, diff + q * se], diff, se };
}

/**
 * Relative lift mean(b)/mean(a) − 1. Its variance by the delta method, treating the arms as
 * independent: var(b̄)/ā² + b̄²·var(ā)/ā⁴; the interval and p-value are normal (the method is
 * asymptotic, so a t quantile would add false precision). mean(a) must not be 0.
 */
export function relativeLift(
  a: SampleSummary,
  b: SampleSummary,
  opts?: IntervalOptions,
): LiftResult {
  requireSummary("a", a);
  requireSummary("b", b);
  const level = levelOf(opts);
  if (a.mean === 0) {
    throw new ExperimentsInputError("DEGENERATE", "a.mean", "must not be 0 for a relative lift");
  }
  const ratio = b.mean / a.mean;
  const varA = a.variance / a.n;
  const varB = b.variance / b.n;
  const se = Math.sqrt(varB / (a.mean * a.mean) + (ratio * ratio * varA) / (a.mean * a.mean));
  const lift = ratio - 1;
  const z = normalCritical(level);
  const pValue = se > 0 ? normalTwoSidedP(lift / se) : lift === 0 ? 1 : 0;
  return { lift, se, ci: [lift - z * se, lift + z * se], pValue };
}

/**
 * Two-proportion z-test of p(b) − p(a): the statistic uses the pooled SE (what H₀ implies), the
 * interval the unpooled Wald SE, clipped to [−1, 1]. Equal to R's `prop.test(correct = FALSE)`
 * (z² is its X-squared).
 */
export function twoProportionZTest(
  a: ProportionCounts,
  b: ProportionCounts,
  opts?: IntervalOptions,
): ProportionTestResult {
  requireProportion("a", a);
  requireProportion("b", b);
  const level = levelOf(opts);
  const pa = a.successes / a.trials;
  const pb = b.successes / b.trials;
  const diff = pb - pa;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  const se = Math.sqrt((pa * (1 - pa)) / a.trials + (pb * (1 - pb)) / b.trials);
  if (!(pooledSe > 0)) {
    throw new ExperimentsInputError(
      "DEGENERATE",
      "a, b",
      "must not both be all successes or all failures (the z statistic is undefined)",
    );
  }
  const z = diff / pooledSe;
  const q = normalCritical(level);
  // A difference of proportions lies in [−1, 1]; the Wald interval can overshoot it (as R clips).
  const ci: [number, number] = [Math.max(-1, diff - q * se), Math.min(1, diff + q * se)];
  return { z, pValue: normalTwoSidedP(z), diff, ci, pooledSe, se };
}
