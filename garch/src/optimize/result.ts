/** What an optimiser stage returns: an estimate it converged to, or where it stopped short. */

/**
 * Constrained Newton decrement (≈ 2 x log-likelihood still to gain, the projected gradient in
 * the metric of the inverse Hessian) below which a stage has converged.
 */
export const DECREMENT_TOL = 1e-7;

/**
 * A decrement as a message shows it, in exponent form with `digits` decimals. With the curvature
 * positive definite (every step whose decrement is reported) the decrement g'd = g'H⁻¹g is ≥ 0;
 * rounding can leave it a hair below ("-4.0e-18") at an optimum, which is shown as 0.
 */
export function decrementText(decrement: number, digits: number): string {
  return Math.max(decrement, 0).toExponential(digits);
}

/** An estimate: the optimum reached, with what the standard errors need. */
export interface Estimate {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  /** Hessian of the log-likelihood in θ at (or within rounding of) the estimate; null if unavailable. */
  readonly hessian: Float64Array | null;
  /** Outer product of the per-observation scores at the estimate, where estimation had it. */
  readonly opg?: Float64Array | null;
  readonly iterations: number;
  readonly converged: boolean;
  readonly message: string;
  /** Per parameter: FREE, AT_LOWER or AT_UPPER (active-set.ts) at the estimate. */
  readonly held: Uint8Array;
  /** The persistence constraint holds with equality at the estimate. */
  readonly onPersistence: boolean;
  /**
   * The mean parameters are held on a kink of the GED log-likelihood (kink.ts): `held` marks
   * them, but no limit holds them there. With an AR mean `hessian` may be in other coordinates
   * of the mean (kink.ts); its entries off the mean's rows and columns are the model's.
   */
  readonly onKink?: boolean;
  /** The projected gradient of the log-likelihood at the estimate (NaN without one). */
  readonly projectedGradient: Float64Array;
}

/** Where a stage stopped short of an optimum, and why. */
export interface Stopped {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  /** The last decrement (with the last curvature, damped if `indefinite`). */
  readonly decrement: number;
  readonly iterations: number;
  /** The Hessian stayed indefinite (or the step could not be computed). */
  readonly indefinite: boolean;
}

/** Whether a stage converged (an Estimate) rather than stopped short. */
export function isEstimate(x: Estimate | Stopped): x is Estimate {
  return "converged" in x;
}
