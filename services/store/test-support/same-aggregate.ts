/** How the contract compares an adapter's aggregate with the in-memory reference. */
import type { VariantAggregate } from "@mlops/contracts";
import { expect } from "vitest";

/** Sums agree to 1e-9 relative (the order of floating-point additions differs by engine). */
export function expectSameAggregate(actual: VariantAggregate, expected: VariantAggregate): void {
  for (const key of Object.keys(expected) as (keyof VariantAggregate)[]) {
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
