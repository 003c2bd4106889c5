/** How the contract compares an adapter's aggregate (or units) with the in-memory reference. */
import { expect } from "vitest";

/** Sums agree to 1e-9 relative (the order of floating-point additions differs by engine). */
export function expectSameAggregate<T extends object>(actual: T, expected: T): void {
  for (const key of Object.keys(expected) as (keyof T & string)[]) {
    const a = actual[key];
    const b = expected[key];
    if (typeof b === "number" && typeof a === "number") {
      expect(Math.abs(a - b), `${key}: ${a} vs ${b}`).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(b)),
      );
    } else {
      expect(a, key).toEqual(b);
    }
  }
}
