/**
 * Streaming sufficient statistics of one metric: count, mean and M2 (the sum of squared
 * deviations from the mean). Updates use Welford's recurrence and merges Chan et al.'s pairwise
 * formula, so batches and replicas combine exactly as if every value had been seen in one pass,
 * without the cancellation that Σx² − (Σx)²/n suffers when the mean is large against the spread.
 */
import { ExperimentsInputError } from "./errors.js";
import type { SampleSummary } from "./types.js";
import { requireCount, requireFinite } from "./validate.js";

/** Count, mean and M2 = Σ(x − mean)² of the values seen so far. */
export interface Moments {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
}

/** No values seen. */
export const EMPTY_MOMENTS: Moments = Object.freeze({ n: 0, mean: 0, m2: 0 });

/**
 * Mutable accumulator for hot loops (a million records without an allocation per value).
 * `add` is Welford's update; `merge` is Chan's; `moments()` returns an immutable snapshot.
 */
export class MomentAccumulator {
  n = 0;
  mean = 0;
  m2 = 0;

  /** Add one value. The caller guarantees it is finite (records are validated at the edge). */
  add(x: number): void {
    this.n += 1;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
  }

  /** Fold in the moments of another batch or replica. */
  merge(other: Moments): void {
    const merged = mergeMoments(this, other);
    this.n = merged.n;
    this.mean = merged.mean;
    this.m2 = merged.m2;
  }

  /** The moments so far. */
  moments(): Moments {
    return { n: this.n, mean: this.mean, m2: this.m2 };
  }
}

/**
 * Moments of an array held in memory, in two passes: the mean (refined by the mean residual, as
 * R's `mean` does), then M2 about it. When all values are at hand this is a few ulps more
 * accurate than the streaming update, which matters when the spread is tiny against the mean.
 */
export function momentsOf(values: readonly number[]): Moments {
  const n = values.length;
  if (n === 0) return EMPTY_MOMENTS;
  let sum = 0;
  for (const x of values) sum += x;
  let mean = sum / n;
  let residual = 0;
  for (const x of values) residual += x - mean;
  mean += residual / n;
  let m2 = 0;
  for (const x of values) m2 += (x - mean) * (x - mean);
  return { n, mean, m2 };
}

/** Moments of the union of two disjoint batches (Chan, Golub and LeVeque's pairwise update). */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return { n: b.n, mean: b.mean, m2: b.m2 };
  if (b.n === 0) return { n: a.n, mean: a.mean, m2: a.m2 };
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  // Weighting by the share of each side keeps the mean stable when one batch dwarfs the other.
  const mean = a.mean + delta * (b.n / n);
  const m2 = a.m2 + b.m2 + delta * delta * ((a.n * b.n) / n);
  return { n, mean, m2 };
}

/**
 * Largest relative error allowed in a sum of squared deviations formed by subtracting sums (see
 * `lostToCancellation`): beyond it the variance is reported as unknown rather than used.
 */
export const MAX_CANCELLATION_ERROR = 1e-3;

/** What a variance that `lostToCancellation` refused means, for reasons and reports. */
export const LOST_VARIANCE =
  "its spread is lost to rounding in the store's sums of squares (they cancel where the mean is too large against the spread for double precision)";

/**
 * Whether `spread`, a sum of squared deviations formed as a difference of sums over `n` values
 * whose terms add up to `magnitude` in absolute value (Σx² for Σx² − (Σx)²/n), may be mostly
 * rounding error. However a store orders its additions, Σx² carries up to n·ε/2 of its magnitude
 * and (Σx)²/n up to n·ε of Σx² (Cauchy–Schwarz), so the spread is trusted while
 * 2(n + 2)·ε·magnitude stays within MAX_CANCELLATION_ERROR of it. With mean² ≫ variance (a
 * metric near 1e8 with sd 1) the spread's digits are gone before the subtraction: it comes out 0,
 * negative or wildly off, and no reordering of the arithmetic afterwards brings them back.
 */
export function lostToCancellation(spread: number, magnitude: number, n: number): boolean {
  return 2 * (n + 2) * Number.EPSILON * magnitude > MAX_CANCELLATION_ERROR * spread;
}

/**
 * Moments from the sums a database aggregates: the count, Σd and Σd² of d = x − `shift` (plain
 * sums: shift 0). Σd² − (Σd)²/n loses digits as the mean of d grows against the variance, so
 * streams that can keep Welford state should, and a store sums about one of the metric's own
 * values where the plain sums lost them (`CenteredSums`). Whole sums below 2^53 (whole values:
 * counts, 0/1 outcomes) were added up exactly, and M2 = (nΣd² − (Σd)²)/n is then formed exactly.
 * Other sums were rounded where they were added up, so no shift applied here can recover what they
 * lost: where `lostToCancellation` says the spread is within its rounding error, M2 is NaN
 * (unknown, see `LOST_VARIANCE`) rather than a wrong number; a tiny negative M2 from rounding is
 * clamped to 0.
 */
export function momentsFromSums(n: number, sum: number, sumSq: number, shift = 0): Moments {
  requireCount("n", n);
  requireFinite("sum", sum);
  requireFinite("sumSq", sumSq);
  requireFinite("shift", shift);
  if (n === 0) return EMPTY_MOMENTS;
  const meanOfD = sum / n;
  const mean = shift + meanOfD;
  if (Number.isSafeInteger(sum) && Number.isSafeInteger(sumSq)) {
    const scaled = BigInt(n) * BigInt(sumSq) - BigInt(sum) * BigInt(sum);
    return { n, mean, m2: Math.max(0, Number(scaled) / n) };
  }
  const m2 = Math.max(0, sumSq - sum * meanOfD);
  return { n, mean, m2: n > 1 && lostToCancellation(m2, sumSq, n) ? Number.NaN : m2 };
}

/** Whether `m` has the values for a variance but its sums lost it (`momentsFromSums`). */
export function lostSpread(m: Moments): boolean {
  return m.n > 1 && Number.isNaN(m.m2);
}

/** Moments of n Bernoulli trials with `successes` ones: mean p̂, M2 = n·p̂(1 − p̂). */
export function bernoulliMoments(successes: number, n: number): Moments {
  requireCount("successes", successes);
  requireCount("n", n);
  if (successes > n) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "successes",
      `must not exceed n (${n}), got ${successes}`,
    );
  }
  if (n === 0) return EMPTY_MOMENTS;
  const p = successes / n;
  return { n, mean: p, m2: n * p * (1 - p) };
}

/**
 * The summary (n, mean, unbiased variance) of moments with n ≥ 2; the variance is NaN below that
 * and where M2 is unknown (`momentsFromSums`).
 */
export function summarize(m: Moments): SampleSummary {
  return { n: m.n, mean: m.mean, variance: m.n > 1 ? m.m2 / (m.n - 1) : Number.NaN };
}

/** The names of the arms whose summary has no variance: NaN where its sums lost the spread. */
export function armsWithoutVariance(arms: readonly (readonly [string, SampleSummary])[]): string[] {
  return arms.filter(([, s]) => Number.isNaN(s.variance)).map(([arm]) => arm);
}
