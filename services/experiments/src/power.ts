/**
 * Power and sample size for two-arm tests, two-sided at level alpha.
 *
 * Proportions use exactly the formula of R's `power.prop.test(strict = FALSE)`:
 *   power = Φ( (√n·|p₁ − p₂| − z₁₋α/₂·√((p₁ + p₂)(q₁ + q₂)/2)) / √(p₁q₁ + p₂q₂) ),
 * solved for n in closed form and for p₂ by bisection.
 * Means use the normal approximation power = Φ(|δ|/√(σₐ²/nₐ + σᵦ²/nᵦ) − z₁₋α/₂), which at
 * equal arms and σ gives n = 2σ²(z₁₋α/₂ + z_power)²/δ². R's `power.t.test` uses the noncentral t
 * instead and asks for one or two more observations per arm at the sizes A/B tests run at; the
 * normal form is what the large-sample tests here (Welch on thousands, mSPRT) actually have.
 */
import { normalCdf, normalQuantile } from "./distributions.js";
import { requireOpenInterval, requirePositive } from "./validate.js";

/** Level and target power. */
export interface PowerOptions {
  /** Two-sided significance level, in (0, 1). Default 0.05. */
  readonly alpha?: number;
  /** Target power, in (0, 1). Default 0.8. */
  readonly power?: number;
}

/** A required sample size per arm. */
export interface SampleSize {
  /** The real solution of the power equation. */
  readonly exact: number;
  /** `exact` rounded up: what to plan for. */
  readonly perArm: number;
}

function levels(opts: PowerOptions | undefined): { zAlpha: number; zPower: number } {
  const alpha = opts?.alpha ?? 0.05;
  const power = opts?.power ?? 0.8;
  requireOpenInterval("opts.alpha", alpha, 0, 1);
  requireOpenInterval("opts.power", power, 0, 1);
  return { zAlpha: -normalQuantile(alpha / 2), zPower: normalQuantile(power) };
}

function sampleSize(exact: number): SampleSize {
  return { exact, perArm: Math.ceil(exact) };
}

/** Per-arm n to detect a difference of means `delta` with per-observation SD `sd` (equal arms). */
export function sampleSizeMeans(delta: number, sd: number, opts?: PowerOptions): SampleSize {
  requirePositive("delta", Math.abs(delta));
  requirePositive("sd", sd);
  const { zAlpha, zPower } = levels(opts);
  const k = zAlpha + zPower;
  return sampleSize((2 * sd * sd * k * k) / (delta * delta));
}

/**
 * Smallest difference of means detectable with the traffic so far: (z₁₋α/₂ + z_power)·SE where
 * SE = √(σₐ²/nₐ + σᵦ²/nᵦ), for per-observation SDs `sdA`, `sdB` and arm sizes `nA`, `nB`.
 */
export function mdeMeans(
  nA: number,
  nB: number,
  sdA: number,
  sdB: number,
  opts?: PowerOptions,
): number {
  requirePositive("nA", nA);
  requirePositive("nB", nB);
  requirePositive("sdA", sdA);
  requirePositive("sdB", sdB);
  const { zAlpha, zPower } = levels(opts);
  return (zAlpha + zPower) * Math.sqrt((sdA * sdA) / nA + (sdB * sdB) / nB);
}

function requireRate(name: string, p: number): void {
  requireOpenInterval(name, p, 0, 1);
}

/** Power of the two-proportion test with n per arm (R's `power.prop.test`, strict = FALSE). */
export function powerProportions(n: number, p1: number, p2: number, alpha = 0.05): number {
  requirePositive("n", n);
  requireRate("p1", p1);
  requireRate("p2", p2);
  requireOpenInterval("alpha", alpha, 0, 1);
  return proportionPower(n, p1, p2, -normalQuantile(alpha / 2));
}

function proportionPower(n: number, p1: number, p2: number, zAlpha: number): number {
  const q1 = 1 - p1;
  const q2 = 1 - p2;
  const pooledSd = Math.sqrt(((p1 + p2) * (q1 + q2)) / 2);
  const sd = Math.sqrt(p1 * q1 + p2 * q2);
  return normalCdf((Math.sqrt(n) * Math.abs(p1 - p2) - zAlpha * pooledSd) / sd);
}

/** Per-arm n to tell rate `p1` from `p2` (R's `power.prop.test(p1, p2, power)` solved for n). */
export function sampleSizeProportions(p1: number, p2: number, opts?: PowerOptions): SampleSize {
  requireRate("p1", p1);
  requireRate("p2", p2);
  requirePositive("|p2 − p1|", Math.abs(p2 - p1));
  const { zAlpha, zPower } = levels(opts);
  const q1 = 1 - p1;
  const q2 = 1 - p2;
  const root =
    zAlpha * Math.sqrt(((p1 + p2) * (q1 + q2)) / 2) + zPower * Math.sqrt(p1 * q1 + p2 * q2);
  return sampleSize((root * root) / ((p1 - p2) * (p1 - p2)));
}

/**
 * Smallest rate p₂ > p₁ that n per arm detects with the target power (R's
 * `power.prop.test(n, p1, power)` solved for p2), or null when even p₂ → 1 does not reach it.
 */
export function mdeProportions(n: number, p1: number, opts?: PowerOptions): number | null {
  requirePositive("n", n);
  requireRate("p1", p1);
  const { zAlpha } = levels(opts);
  const target = opts?.power ?? 0.8;
  if (proportionPower(n, p1, 1, zAlpha) < target) return null;
  // Power rises with p₂ on (p₁, 1); bisect until the bracket stops shrinking in floating point.
  let lo = p1;
  let hi = 1;
  for (;;) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) return mid;
    if (proportionPower(n, p1, mid, zAlpha) < target) lo = mid;
    else hi = mid;
  }
}
