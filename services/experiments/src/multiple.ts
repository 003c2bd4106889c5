/**
 * Adjusted p-values for a family of primary metrics. Guardrails are not part of the family: they
 * are one-sided safety checks, and adding them would dilute the power of the metrics that decide.
 * Only p-values are adjusted, not intervals.
 */
import { requireAtLeast, requireClosedInterval } from "./validate.js";

function requirePValues(pValues: readonly number[]): void {
  requireAtLeast("pValues", pValues.length, 1, "p-values");
  for (const [i, p] of pValues.entries()) requireClosedInterval(`pValues[${i}]`, p, 0, 1);
}

/** Indexes of `xs` sorted by value (stable for ties). */
function order(xs: readonly number[]): number[] {
  return xs.map((_, i) => i).sort((i, j) => xs[i]! - xs[j]! || i - j);
}

/**
 * Holm's step-down adjustment (controls the family-wise error rate): for the i-th smallest of m,
 * (m − i + 1)·p, made monotone non-decreasing and capped at 1. Same as R's `p.adjust(p, "holm")`.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  requirePValues(pValues);
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  let running = 0;
  order(pValues).forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[idx]!));
    adjusted[idx] = running;
  });
  return adjusted;
}

/**
 * Benjamini–Hochberg step-up adjustment (controls the false discovery rate): for the i-th smallest
 * of m, min over j ≥ i of m·p₍ⱼ₎/j, capped at 1. Same as R's `p.adjust(p, "BH")`.
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  requirePValues(pValues);
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  const sorted = order(pValues);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const idx = sorted[rank]!;
    // (m / j)·p as R computes it: m/j ≥ 1 exactly, so an adjusted value never drops below p.
    running = Math.min(running, (m / (rank + 1)) * pValues[idx]!);
    adjusted[idx] = running;
  }
  return adjusted;
}
