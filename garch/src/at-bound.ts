/**
 * The constraints that hold with equality at an estimate: named for the fit's report, and as
 * the basis of the directions left free, in which the standard errors are taken.
 *
 * A parameter on its bound (a lag whose coefficient is 0, nu at its limit) has no standard
 * error: there the estimator's distribution is not normal (half its mass sits on the bound), so
 * no symmetric interval describes it. It is reported as NaN, and the other parameters' standard
 * errors are those of the model with it held at the bound. On the persistence limit (under
 * stationarity), the ARCH and GARCH estimates are constrained to their sum: their standard
 * errors are those of the constrained estimates; where only one of them is off its bound, the
 * limit fixes that one too, and it has no standard error either. Mean parameters held on a kink
 * of the GED log-likelihood (optimize/kink.ts) are not on a limit: they have no Hessian or robust
 * standard error (the Hessian is not defined across the kink), only an OPG one (fit.ts).
 */
import type { Basis } from "./covariance.js";
import { AT_LOWER, FREE, freeCoordinates } from "./optimize/active-set.js";
import type { Estimate } from "./optimize/result.js";
import { paramNames } from "./params.js";
import { meanParamCount } from "./spec.js";
import type { GarchSpec } from "./types.js";

/** A constraint that holds with equality at the estimate. */
export interface ActiveConstraint {
  /** The parameter ("alpha[2]", "nu"), or "persistence" for sum(alpha) + sum(beta). */
  readonly name: string;
  readonly side: "lower" | "upper";
  readonly bound: number;
}

/** The name used for the persistence constraint. */
export const PERSISTENCE = "persistence";

/** The constraints active at an estimate, in θ order, the persistence constraint last. */
export function activeConstraints(
  spec: GarchSpec,
  estimate: Estimate,
  maxPersistence: number,
): ActiveConstraint[] {
  const names = paramNames(spec);
  const out: ActiveConstraint[] = [];
  // On a kink (optimize/kink.ts) the mean parameters are held there, not on a limit.
  const from = estimate.onKink ? meanParamCount(spec.mean) : 0;
  estimate.held.forEach((h, i) => {
    if (h !== FREE && i >= from) {
      out.push({
        name: names[i]!,
        side: h === AT_LOWER ? "lower" : "upper",
        bound: estimate.theta[i]!,
      });
    }
  });
  if (estimate.onPersistence) out.push({ name: PERSISTENCE, side: "upper", bound: maxPersistence });
  return out;
}

/**
 * A basis Z (k x m, row-major) of the directions the active constraints leave free: the unit
 * vectors of the parameters not held and, on the persistence limit, differences of the free
 * ARCH and GARCH coefficients (their sum fixed). Null when no constraint is active. The first
 * `release` parameters count as free even where held (the mean on a kink, for its OPG
 * standard errors).
 */
export function freeBasis(estimate: Estimate, from: number, to: number, release = 0): Basis | null {
  const k = estimate.held.length;
  const free = freeCoordinates(estimate.held.map((h, i) => (i < release ? FREE : h)));
  const group = free.filter((i) => i >= from && i < to);
  const tied = estimate.onPersistence && group.length > 0;
  if (free.length === k && !tied) return null;
  const columns: number[][] = [];
  for (const i of free) {
    if (!tied || i < from || i >= to) columns.push([i, 1]);
  }
  // The sum of the group fixed: e_g - e_last for every other free group member.
  const last = group[group.length - 1]!;
  if (tied) for (const g of group.slice(0, -1)) columns.push([g, 1, last, -1]);
  const m = columns.length;
  const z = new Float64Array(k * m);
  columns.forEach((col, c) => {
    for (let j = 0; j < col.length; j += 2) z[col[j]! * m + c] = col[j + 1]!;
  });
  return { z, m };
}
