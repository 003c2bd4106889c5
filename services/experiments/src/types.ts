/** Shapes shared by the tests: what each arm contributes to a comparison. */

/** A sample summarised as the two-sample tests need it. */
export interface SampleSummary {
  readonly n: number;
  readonly mean: number;
  /** Unbiased sample variance (divisor n − 1). */
  readonly variance: number;
}

/** Successes out of trials in one arm. */
export interface ProportionCounts {
  readonly successes: number;
  readonly trials: number;
}
