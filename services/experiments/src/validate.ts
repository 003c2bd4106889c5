/** Argument checks shared by every public function; each throws an `ExperimentsInputError`. */
import { ExperimentsInputError } from "./errors.js";
import type { ProportionCounts, SampleSummary } from "./types.js";

/** A finite number. */
export function requireFinite(name: string, x: number): void {
  if (!Number.isFinite(x)) {
    throw new ExperimentsInputError("NON_FINITE", name, `must be a finite number, got ${x}`);
  }
}

/** A finite number in the open interval (lo, hi). */
export function requireOpenInterval(name: string, x: number, lo: number, hi: number): void {
  requireFinite(name, x);
  if (!(x > lo && x < hi)) {
    throw new ExperimentsInputError("OUT_OF_RANGE", name, `must lie in (${lo}, ${hi}), got ${x}`);
  }
}

/** A finite number in the closed interval [lo, hi]. */
export function requireClosedInterval(name: string, x: number, lo: number, hi: number): void {
  requireFinite(name, x);
  if (!(x >= lo && x <= hi)) {
    throw new ExperimentsInputError("OUT_OF_RANGE", name, `must lie in [${lo}, ${hi}], got ${x}`);
  }
}

/** A finite number > 0. */
export function requirePositive(name: string, x: number): void {
  requireFinite(name, x);
  if (!(x > 0)) throw new ExperimentsInputError("NOT_POSITIVE", name, `must be > 0, got ${x}`);
}

/** A finite number ≥ 0. */
export function requireNonNegative(name: string, x: number): void {
  requireFinite(name, x);
  if (x < 0) throw new ExperimentsInputError("NEGATIVE", name, `must be ≥ 0, got ${x}`);
}

/** A whole number ≥ 0. */
export function requireCount(name: string, x: number): void {
  requireNonNegative(name, x);
  if (!Number.isInteger(x)) {
    throw new ExperimentsInputError("NOT_INTEGER", name, `must be a whole number, got ${x}`);
  }
}

/** An array of at least `min` entries (observations, arms, p-values). */
export function requireAtLeast(name: string, n: number, min: number, what: string): void {
  if (n === 0) throw new ExperimentsInputError("EMPTY", name, `must not be empty`);
  requireMinimum(name, n, min, what);
}

/** A count of at least `min` (a sample size given as a number rather than an array). */
function requireMinimum(name: string, n: number, min: number, what: string): void {
  if (n < min) {
    throw new ExperimentsInputError("TOO_FEW", name, `needs at least ${min} ${what}, got ${n}`);
  }
}

/** A sample of at least `min` finite numbers. */
export function requireSample(name: string, xs: readonly number[], min: number): void {
  requireAtLeast(name, xs.length, min, "observations");
  for (let i = 0; i < xs.length; i++) requireFinite(`${name}[${i}]`, xs[i]!);
}

/** Two arrays that pair up element by element. */
export function requireSameLength(
  nameA: string,
  a: readonly unknown[],
  nameB: string,
  b: readonly unknown[],
): void {
  if (a.length !== b.length) {
    throw new ExperimentsInputError(
      "LENGTH_MISMATCH",
      nameB,
      `must have as many entries as ${nameA} (${a.length}), got ${b.length}`,
    );
  }
}

/** Sufficient statistics of an arm with n ≥ 2 whole observations, a finite mean, variance ≥ 0. */
export function requireSummary(name: string, s: SampleSummary): void {
  requireCount(`${name}.n`, s.n);
  requireMinimum(`${name}.n`, s.n, 2, "observations");
  requireFinite(`${name}.mean`, s.mean);
  requireNonNegative(`${name}.variance`, s.variance);
}

/** Whole successes out of at least one whole trial. */
export function requireProportion(name: string, p: ProportionCounts): void {
  requireCount(`${name}.trials`, p.trials);
  requireMinimum(`${name}.trials`, p.trials, 1, "trial");
  requireCount(`${name}.successes`, p.successes);
  if (p.successes > p.trials) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      `${name}.successes`,
      `must not exceed ${name}.trials (${p.trials}), got ${p.successes}`,
    );
  }
}
