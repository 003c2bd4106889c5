/**
 * The variance of a mean whose observations come in units that were randomised together: under a
 * user-hash split every request of a user lands on one arm, and a user's observations are
 * correlated (some users' inputs are harder than others'), so treating them as independent
 * understates the variance and a test on them rejects a true null far too often. The estimator
 * is the delta method for a ratio of means (the cluster-robust sandwich of a mean): with units u,
 * n_u observations and S_u their sum, mean = ΣS_u / Σn_u and
 *   Var(mean) ≈ N/(N − 1) · Σ_u (S_u − mean·n_u)² / (Σn_u)²
 * over the N units that have an observation (Deng, Lu and Litz, "Trustworthy analysis of online
 * A/B tests", 2018). Σ_u (S_u − mean·n_u)² expands to ΣS_u² − 2·mean·ΣS_u·n_u + mean²·Σn_u², so
 * a store keeps three sums per arm; like Σx² − (Σx)²/n, the expansion cancels when the mean is
 * large against the spread (`lostToCancellation`).
 */
import type { PrimaryMetric, VariantUnits } from "@mlops/contracts";
import { lostToCancellation, type Moments } from "./moments.js";
import type { SampleSummary } from "./types.js";
import { requireCount, requireFinite } from "./validate.js";

/**
 * One metric's per-unit sums in one arm, about `shift` (0: the plain sums): with S'_u = S_u −
 * shift·n_u, `sumN` = ΣS'_u·n_u and `sumSq` = ΣS'_u².
 */
export interface UnitSums {
  /** Units with at least one observation of the metric. */
  readonly units: number;
  /** Σn_u². */
  readonly nSq: number;
  /** ΣS'_u·n_u. */
  readonly sumN: number;
  /** ΣS'_u². */
  readonly sumSq: number;
  /** What every observation had subtracted before S'_u was summed. */
  readonly shift: number;
}

/** The store's prefix of each primary metric's per-unit terms. */
const PREFIX = { accuracy: "accuracy", outcome_mean: "outcome", log_loss: "log_loss" } as const;

/**
 * The per-unit sums of `metric` in a store's units of a variant: about one of its own values where
 * the store summed them so (`VariantUnits.centered`; 0/1 accuracy sums are exact as they are).
 */
export function unitSumsOf(units: VariantUnits, metric: PrimaryMetric): UnitSums {
  const m = PREFIX[metric];
  const counts = { units: units[`${m}_units`], nSq: units[`${m}_unit_n_sq`] };
  const about = m === "accuracy" ? undefined : units.centered?.[m];
  return about === undefined
    ? { ...counts, sumN: units[`${m}_unit_sum_n`], sumSq: units[`${m}_unit_sum_sq`], shift: 0 }
    : { ...counts, sumN: about.sum_n, sumSq: about.sum_sq, shift: about.shift };
}

/**
 * The summary the two-sample tests read, with the units as the sample: n is the number of
 * units and variance / n is the cluster-robust Var(mean), so a test's standard error is robust
 * and its degrees of freedom count units, not observations. The mean is the observations' mean.
 * The variance is NaN with fewer than 2 units (as `summarize`'s with fewer than 2 observations)
 * and where the per-unit sums cannot resolve the spread (`lostToCancellation`).
 */
export function clusteredSummary(m: Moments, u: UnitSums): SampleSummary {
  requireCount("units.units", u.units);
  requireCount("units.nSq", u.nSq);
  requireFinite("units.sumN", u.sumN);
  requireFinite("units.sumSq", u.sumSq);
  requireFinite("units.shift", u.shift);
  if (u.units < 2) return { n: u.units, mean: m.mean, variance: Number.NaN };
  // Observations that never vary leave every unit's S_u − mean·n_u at 0.
  if (m.m2 === 0) return { n: u.units, mean: m.mean, variance: 0 };
  // S_u − mean·n_u = S'_u − (mean − shift)·n_u: the same spread, in the sums' own frame.
  const mean = m.mean - u.shift;
  const cross = 2 * mean * u.sumN;
  const square = mean * mean * u.nSq;
  // Rounding can leave the expanded sum of squares a hair below 0.
  const spread = Math.max(0, u.sumSq - cross + square);
  if (lostToCancellation(spread, u.sumSq + Math.abs(cross) + square, m.n)) {
    return { n: u.units, mean: m.mean, variance: Number.NaN };
  }
  const varianceOfMean = (u.units / (u.units - 1)) * (spread / (m.n * m.n));
  return { n: u.units, mean: m.mean, variance: varianceOfMean * u.units };
}

/**
 * Kish's design effect of an arm: the cluster-robust Var(mean) of `clustered` over the Var(mean)
 * of `perObservation` (the same observations taken as independent). 1 where the observations do
 * not vary (both are 0).
 */
export function designEffect(perObservation: SampleSummary, clustered: SampleSummary): number {
  if (perObservation.variance === 0) return 1;
  return (clustered.variance * perObservation.n) / (clustered.n * perObservation.variance);
}
