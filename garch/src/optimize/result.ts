/** What an optimiser stage returns: an estimate it converged to, or where it stopped short. */

/** Newton decrement (≈ 2 x log-likelihood still to gain) that counts as converged. */
export const DECREMENT_TOL = 1e-7;

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
}

/** Where Newton stopped short of an optimum, and why. */
export interface Stopped {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  /** The last Newton decrement (with the last Hessian, damped if `indefinite`). */
  readonly decrement: number;
  readonly iterations: number;
  /** The Hessian stayed indefinite (or the step could not be computed). */
  readonly indefinite: boolean;
}

/** Whether a stage converged (an Estimate) rather than stopped short. */
export function isEstimate(x: Estimate | Stopped): x is Estimate {
  return "converged" in x;
}
