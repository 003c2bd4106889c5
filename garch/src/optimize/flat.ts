/**
 * Optima on a flat ridge. Where the ARCH effect is nil (white noise, alpha = 0), the GARCH
 * coefficients are not identified: any omega and beta with the same omega / (1 - beta) give
 * nearly the same variances (they differ only in the start-up from the backcast). The
 * log-likelihood is then nearly flat along a line, its Hessian singular there (numerically, one
 * eigenvalue a hair either side of 0), and the KKT test, which needs a negative definite Hessian
 * on the free parameters, cannot pass.
 *
 * Such an end is one of two things. Often the line leads to higher ground, which the
 * stages could not see from it: a small ARCH effect further along (white noise of 10,000 returns
 * has had one 1.9 log-likelihood units higher), or the corner beta → 1. Sampling the line finds
 * it, and another stage starts there. Otherwise it is an optimum, and the test that applies is
 * this one: the Newton decrement on the directions of clear negative curvature below the
 * tolerance, and no sampled point along a flat direction better by more than half of it.
 */
import { evaluate, type Model } from "../likelihood.js";
import { maxStep, moveTo } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { curvatureDirections } from "./escape.js";
import { dominantKinks } from "./kink.js";
import { DECREMENT_TOL, decrementText, type Estimate } from "./result.js";

/**
 * Curvature, in the parameters scaled to unit curvature (escape.ts), above which a direction is
 * flat: the diagonal there is -1, and the flat directions seen on white noise are within 2e-6
 * of 0.
 */
const FLAT_CURVATURE = 1e-4;
/** How far each way a flat direction is sampled (in units of the curvature scale), and at how many points. */
const MAX_REACH = 1e3;
const SAMPLES = 16;

/** What the flat-ridge test found at an estimate. */
interface FlatRidge {
  /** The flat directions (curvature above -FLAT_CURVATURE), as steps in θ of unit curvature scale. */
  readonly flat: readonly Float64Array[];
  /** The Newton decrement on the directions of negative curvature. */
  readonly decrement: number;
}

/**
 * The flat directions at `estimate` and the decrement on the others; null without a Hessian,
 * on the persistence limit (its direction is not free), or with no flat direction.
 */
function flatRidge(model: Model, c: Constraints, estimate: Estimate): FlatRidge | null {
  const { hessian, held, onPersistence, theta } = estimate;
  if (!hessian || onPersistence) return null;
  const curvature = curvatureDirections(hessian, held, c.k);
  if (!curvature) return null;
  const g = new Float64Array(c.k);
  evaluate(model, theta, g);
  const flat: Float64Array[] = [];
  let decrement = 0;
  curvature.values.forEach((value, j) => {
    const d = curvature.directions[j]!;
    if (value > -FLAT_CURVATURE) {
      flat.push(d);
      return;
    }
    const slope = d.reduce((sum, di, i) => sum + di * g[i]!, 0);
    decrement += (slope * slope) / -value;
  });
  return flat.length > 0 ? { flat, decrement } : null;
}

/**
 * `estimate` reported as converged on its flat ridge, where the ridge test passes there: the
 * decrement on the directions of negative curvature below the tolerance and no point along a
 * flat direction better by more than half of it. Otherwise null, with `better`, where sampling
 * the flat directions found one, for another stage to start from.
 */
export function onFlatRidge(
  model: Model,
  c: Constraints,
  estimate: Estimate,
): { settled: Estimate | null; better: Float64Array | null } {
  const ridge = flatRidge(model, c, estimate);
  if (!ridge || !(ridge.decrement < DECREMENT_TOL)) return { settled: null, better: null };
  // Beside a kink of the GED log-likelihood in the mean the curvature in the mean is the kink's
  // (kink.ts): with nu < 1, convex, it cancels the others' or outweighs it, and the mean's axis
  // looks flat; the optimum is on the kink, which kink.ts tries.
  if (dominantKinks(model, estimate.theta)) return { settled: null, better: null };
  const better = gainAlong(model, c, estimate, ridge.flat);
  evaluate(model, estimate.theta); // leave the model's residuals and variances at θ
  if (better) return { settled: null, better };
  const directions = ridge.flat.length === 1 ? "one direction" : `${ridge.flat.length} directions`;
  return {
    settled: {
      ...estimate,
      converged: true,
      message:
        `converged on a flat ridge: along ${directions} of the parameters the log-likelihood ` +
        `changes by less than the tolerance (they are not identified separately there); ` +
        `constrained Newton decrement ${decrementText(ridge.decrement, 1)} on the others`,
    },
    better: null,
  };
}

/**
 * The best point along `directions` from `estimate`, each way, where one gains more than half
 * the decrement tolerance (what a converged estimate may still leave); null where none does.
 * A flat direction's log-likelihood can drift by a little over a long way while it wobbles by
 * rounding from point to point, so each way is sampled across its whole feasible length (up to
 * MAX_REACH curvature units) rather than followed from its first step.
 */
function gainAlong(
  model: Model,
  c: Constraints,
  estimate: Estimate,
  directions: readonly Float64Array[],
): Float64Array | null {
  const { theta, logLikelihood } = estimate;
  let best: Float64Array | null = null;
  let bestLl = logLikelihood + DECREMENT_TOL / 2;
  for (const d of directions) {
    for (const sign of [1, -1]) {
      const way = d.map((v) => sign * MAX_REACH * v);
      const reach = maxStep(c, theta, way);
      for (let j = 1; j <= SAMPLES; j++) {
        const t = (reach.alpha * j) / SAMPLES;
        const next = moveTo(c, theta, way, t, reach);
        const ll = evaluate(model, next);
        if (ll > bestLl) {
          bestLl = ll;
          best = next;
        }
      }
    }
  }
  return best;
}
