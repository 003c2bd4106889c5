/**
 * Exact maximum likelihood for a bound model, under the constraints of optimize/constraints.ts:
 * GARCH(p,q) with p or q above 1 by the global search (search.ts), every other model by local
 * estimation from the best grid starts (local.ts). The stages they use live in optimize/:
 * Newton with the exact Hessian (newton.ts), quasi-Newton (quasi-newton.ts), Newton polishing
 * with the Hessian the standard errors use (polish.ts), all taking constrained steps
 * (active-set.ts) that land on a limit when the optimum is there.
 *
 * A fit converges only when the KKT conditions hold: the constrained Newton decrement (≈ twice
 * the log-likelihood still to gain; the projected gradient in the metric of the inverse
 * Hessian) is below 1e-7 with a Hessian negative definite on the parameters not held at a
 * limit, and every limit held has a multiplier of the right sign; or on a flat ridge
 * (optimize/flat.ts), or with GED innovations and nu near or below 1 on a kink in the mean
 * parameters (optimize/kink.ts), as is an end beside one (`besideKink`).
 */
import type { Model } from "./likelihood.js";
import { localEstimate } from "./local.js";
import { constraintsOf } from "./optimize/constraints.js";
import { besideKink } from "./optimize/kink.js";
import type { Estimate } from "./optimize/result.js";
import { needsSearch, searchEstimate } from "./search.js";

export type { Estimate } from "./optimize/result.js";

/** Maximum likelihood estimate of a bound model. */
export function estimate(model: Model, maxIterations: number): Estimate {
  const c = constraintsOf(model);
  const est = needsSearch(model.spec)
    ? searchEstimate(model, c, maxIterations)
    : localEstimate(model, c, maxIterations);
  // An end beside a kink of the GED log-likelihood in the mean is one on it (kink.ts).
  return besideKink(model, est) ?? est;
}
