/**
 * Sequential tests that stay valid however often the pipeline looks: the mixture sequential
 * probability ratio test (mSPRT; Johari, Koomen, Pekelis and Walsh, "Peeking at A/B Tests", 2017)
 * with a normal mixture over the effect, and the confidence sequence obtained by inverting it.
 *
 * At a look the difference estimate θ̂ = mean(b) − mean(a) is taken as N(θ, V) with
 * V = var(a)/n(a) + var(b)/n(b) (for proportions p(1 − p)/n per arm). Mixing the alternative
 * θ ~ N(θ₀, τ²) gives the likelihood ratio
 *   Λ = sqrt(V / (V + τ²)) · exp( τ²(θ̂ − θ₀)² / (2V(V + τ²)) ),
 * which with equal arms of size n and V = 2σ²/n (means) or V = (p̄ₐq̄ₐ + p̄ᵦq̄ᵦ)/n (proportions) is
 * exactly the paper's Λ̃ₙ. The always-valid p-value is pₙ = min(pₙ₋₁, 1/Λₙ) with p₀ = 1, and
 * {θ₀ : Λ(θ₀) < 1/α} is a (1 − α) confidence sequence: the band of the cumulative-lift chart.
 * Variances are plug-in estimates, so validity is asymptotic in the per-look sample size (as in
 * the paper's treatment of unknown variance).
 */
import { normalQuantile } from "./distributions.js";
import { ExperimentsInputError } from "./errors.js";
import type { ProportionCounts, SampleSummary } from "./types.js";
import {
  requireClosedInterval,
  requireFinite,
  requireOpenInterval,
  requirePositive,
  requireProportion,
  requireSummary,
} from "./validate.js";

/**
 * Default mixing standard deviation, in units of the per-observation standard deviation
 * sqrt((σₐ² + σᵦ²)/2): the test has most power for effects of about this size, and 0.1 standard
 * deviations is a "small" effect that A/B tests of models are typically run to detect.
 */
export const DEFAULT_STANDARDIZED_TAU = 0.1;

/** Options of a sequential look. */
export interface SequentialOptions {
  /** Level of the test and of the confidence sequence, in (0, 1). Default 0.05. */
  readonly alpha?: number;
  /**
   * Mixing variance τ² of the effect, in the metric's squared units. Default
   * (DEFAULT_STANDARDIZED_TAU)² × (σₐ² + σᵦ²)/2 from the current per-observation variances.
   */
  readonly tau2?: number;
  /** Null difference θ₀. Default 0. */
  readonly theta0?: number;
  /** The always-valid p-value from the previous look (the running minimum). Default 1. */
  readonly previousPValue?: number;
}

/** A difference estimate and its variance at one look. */
export interface DifferenceEstimate {
  /** θ̂ = mean(b) − mean(a). */
  readonly diff: number;
  /** Variance of θ̂, > 0. */
  readonly variance: number;
}

/** The outcome of one look. */
export interface SequentialResult {
  readonly diff: number;
  readonly se: number;
  readonly tau2: number;
  /** ln Λ at this look (kept in logs: Λ overflows long before the evidence is unusual). */
  readonly logLikelihoodRatio: number;
  /** Always-valid p-value: min(previous, 1/Λ), in [0, 1]. */
  readonly pValue: number;
  /** Always-valid (1 − alpha) confidence sequence for mean(b) − mean(a) at this look. */
  readonly ci: [number, number];
  /** pValue ≤ alpha, i.e. Λ has reached 1/α at some look. */
  readonly rejected: boolean;
}

/** One look of the mSPRT given the difference estimate and an explicit τ². */
export function msprt(
  estimate: DifferenceEstimate,
  opts: SequentialOptions & { readonly tau2: number },
): SequentialResult {
  requireFinite("estimate.diff", estimate.diff);
  requirePositive("estimate.variance", estimate.variance);
  requirePositive("opts.tau2", opts.tau2);
  const alpha = opts.alpha ?? 0.05;
  requireOpenInterval("opts.alpha", alpha, 0, 1);
  const theta0 = opts.theta0 ?? 0;
  requireFinite("opts.theta0", theta0);
  const previous = opts.previousPValue ?? 1;
  requireClosedInterval("opts.previousPValue", previous, 0, 1);

  const v = estimate.variance;
  const tau2 = opts.tau2;
  const d = estimate.diff - theta0;
  // log Λ = ½ log(v / (v + τ²)) + τ² d² / (2 v (v + τ²)), written so that a tiny (even subnormal)
  // variance neither underflows v (v + τ²) to 0 nor overflows (v + τ²) / v: logs of each term,
  // and d² / (2v) scaled by τ² / (v + τ²) ≤ 1.
  const logRatio = Math.log(v + tau2) - Math.log(v);
  const logLikelihoodRatio = -0.5 * logRatio + ((d * d) / (2 * v)) * (tau2 / (v + tau2));
  const pValue = Math.min(previous, Math.exp(-logLikelihoodRatio), 1);
  // Solving Λ(θ₀) = 1/α for θ₀ around θ̂.
  const halfWidth = Math.sqrt(v * ((v + tau2) / tau2) * (2 * Math.log(1 / alpha) + logRatio));
  return {
    diff: estimate.diff,
    se: Math.sqrt(v),
    tau2,
    logLikelihoodRatio,
    pValue,
    ci: [estimate.diff - halfWidth, estimate.diff + halfWidth],
    rejected: pValue <= alpha,
  };
}

/**
 * The smallest true difference that a look of the mSPRT detects with probability `power`. The look
 * rejects once the observed difference clears its boundary (the confidence sequence's half-width),
 * and the observed difference is normal around the true one with the look's standard error: so
 * boundary + z(power) · se. A fixed-horizon test's MDE is the same with z(1 − α/2) · se as its
 * boundary; the always-valid boundary is wider, the price of looking at will.
 */
export function alwaysValidMde(look: SequentialResult, power: number): number {
  requireOpenInterval("power", power, 0, 1);
  return (look.ci[1] - look.ci[0]) / 2 + normalQuantile(power) * look.se;
}

/** The default mixing variance τ² for arms with these per-observation variances. */
export function defaultTau2(perObservationVarA: number, perObservationVarB: number): number {
  return DEFAULT_STANDARDIZED_TAU ** 2 * ((perObservationVarA + perObservationVarB) / 2);
}

function requireEstimable(variance: number): void {
  if (!(variance > 0)) {
    throw new ExperimentsInputError(
      "DEGENERATE",
      "a, b",
      "must not both have zero variance (the sequential test needs a positive variance)",
    );
  }
}

/** One mSPRT look at a difference of means, from each arm's sufficient statistics. */
export function msprtMeans(
  a: SampleSummary,
  b: SampleSummary,
  opts?: SequentialOptions,
): SequentialResult {
  requireSummary("a", a);
  requireSummary("b", b);
  const variance = a.variance / a.n + b.variance / b.n;
  requireEstimable(variance);
  return msprt(
    { diff: b.mean - a.mean, variance },
    { ...opts, tau2: opts?.tau2 ?? defaultTau2(a.variance, b.variance) },
  );
}

/** One mSPRT look at a difference of proportions p(b) − p(a). */
export function msprtProportions(
  a: ProportionCounts,
  b: ProportionCounts,
  opts?: SequentialOptions,
): SequentialResult {
  requireProportion("a", a);
  requireProportion("b", b);
  const pa = a.successes / a.trials;
  const pb = b.successes / b.trials;
  const varA = pa * (1 - pa);
  const varB = pb * (1 - pb);
  const variance = varA / a.trials + varB / b.trials;
  requireEstimable(variance);
  return msprt(
    { diff: pb - pa, variance },
    { ...opts, tau2: opts?.tau2 ?? defaultTau2(varA, varB) },
  );
}

/**
 * Successive looks at a growing experiment, threading the running-minimum p-value: the series
 * behind the cumulative-lift chart (estimate, always-valid band, always-valid p per look).
 */
export function msprtPath(
  estimates: readonly DifferenceEstimate[],
  opts: SequentialOptions & { readonly tau2: number },
): SequentialResult[] {
  const out: SequentialResult[] = [];
  let previousPValue = opts.previousPValue ?? 1;
  for (const estimate of estimates) {
    const look = msprt(estimate, { ...opts, previousPValue });
    out.push(look);
    previousPValue = look.pValue;
  }
  return out;
}
