/** Reference values computed in R for this package's tests, and how closely they must match. */
import { expect } from "vitest";
import reference from "../fixtures/reference.json" with { type: "json" };

/** Values R computed for the same inputs (fixtures/reference.R). */
export const R = reference;

/**
 * Relative closeness (so p-values of 1e-30 are compared digit for digit); an expected value of
 * exactly 0 is compared absolutely.
 */
export function expectClose(actual: number, expected: number, tol: number, label = ""): void {
  const err = Math.abs(actual - expected) / (expected === 0 ? 1 : Math.abs(expected));
  expect(err, `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

/**
 * `actual` agrees with R's `expected` to `tol` (relative) on each of `keys`: a number, or both
 * ends of an interval.
 */
export function expectMatchesR<K extends string>(
  actual: Readonly<Record<NoInfer<K>, number | readonly number[]>>,
  expected: Readonly<Record<NoInfer<K>, number | readonly number[]>>,
  keys: readonly K[],
  tol: number,
): void {
  for (const key of keys) {
    const a = actual[key];
    const e = expected[key];
    if (typeof a === "number" || typeof e === "number") {
      expectClose(a as number, e as number, tol, key);
    } else {
      expectClose(a[0]!, e[0]!, tol, `${key} lo`);
      expectClose(a[1]!, e[1]!, tol, `${key} hi`);
    }
  }
}
