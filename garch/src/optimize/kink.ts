/**
 * Optima on a kink of the GED log-likelihood. The GED log-density has the term -|z|^nu / 2 (z the
 * standardised residual): its derivative in z is continuous only for nu > 1, and its second
 * derivative, a multiple of |z|^(nu - 2), is unbounded at z = 0 for any nu < 2. With a constant
 * or AR mean, each observation puts a kink in the log-likelihood where its residual is 0, a
 * hyperplane in the mean parameters (mu = r_t for a constant mean):
 *
 * - nu < 1: a cusp, both one-sided slopes infinite and pointing back to it, the log-likelihood
 *   convex in the mean between the kinks. Its local maxima in the mean are where as many kinks
 *   cross as there are mean parameters (every observation, for a constant mean); at none does
 *   the gradient vanish, and beside one the Hessian is not negative definite.
 * - nu a little above 1: the gradient in the mean turns within rounding of a kink (it grows as
 *   |e|^(nu - 1): at nu = 1.03 it is still half its size 1e-10 away), so the maximum cannot be
 *   reached to the decrement tolerance by Newton steps, which overshoot it.
 *
 * Where the stages end short of an optimum with nu at most KINK_NU, the crossings of the kinks of
 * the observations nearest to the end (in standardised residuals) are tried as the mean: the
 * mean parameters solved for residuals of 0 there (mu = r_t exactly for a constant mean). From
 * the best of them:
 *
 * - with nu < 1, polishing with the mean held there: a converged polish (the KKT conditions on
 *   the other parameters) with nu still below 1 is a local maximum, since the cusps' slopes,
 *   infinite on either side, outweigh any finite slope of the rest in every direction of the
 *   mean. The mean has no standard error there (its estimator is not normal at a cusp), and the
 *   others' are those of the model with it held;
 * - otherwise polishing with the mean free, its end accepted only where sampling each mean
 *   parameter on either side, from 1e-12 to 1e-2 of its scale, finds no point higher by more
 *   than half the decrement tolerance (beside a kink with nu > 1 the quadratic model can
 *   understate what is left to gain).
 */
import { evaluate, type Model } from "../likelihood.js";
import type { Constraints } from "./constraints.js";
import { polish } from "./polish.js";
import { DECREMENT_TOL, type Estimate } from "./result.js";

/** Largest nu at which an end short of an optimum is tried on a kink. */
export const KINK_NU = 1.1;
/** Observations whose kinks are tried: at least this many, nearest first. */
const CANDIDATES = 8;
/** Points sampled each way in each mean parameter (geometric, from 1e-12 to 1e-2 of its scale). */
const SAMPLES = 21;

/**
 * The estimate on a kink reached from `end` (an estimate that did not converge) within `budget`
 * polishing steps, converged and no lower than `end` beyond rounding; null where there is none.
 */
export function onKink(
  model: Model,
  c: Constraints,
  end: Estimate,
  budget: number,
): Estimate | null {
  const { layout, spec } = model;
  const m = layout.nMean;
  if (spec.dist !== "ged" || m === 0 || budget <= 0) return null;
  if (!(end.theta[layout.shape]! <= KINK_NU)) return null;
  const crossing = bestCrossing(model, end.theta);
  if (!crossing) return null;
  const { theta: start, observations } = crossing;
  let found: Estimate | null = null;
  // Polishing steps spent on a hold that did not converge.
  let spent = 0;
  if (start[layout.shape]! < 1) {
    const fixed: Constraints = {
      ...c,
      lower: Float64Array.from(c.lower, (v, i) => (i < m ? start[i]! : v)),
      upper: Float64Array.from(c.upper, (v, i) => (i < m ? start[i]! : v)),
    };
    const held = polish(model, fixed, start, budget, "on a kink");
    if (held.converged && held.theta[layout.shape]! < 1) {
      const where = observations.map((t) => `r[${t}]`).join(", ");
      found = {
        ...held,
        onKink: true,
        message:
          `converged on a kink: the mean leaves a residual of 0 at ${where}, where the GED ` +
          `log-likelihood with nu < 1 has a cusp in the mean (no standard error there, the ` +
          `others' are those of the model with it held); on the others, ` +
          held.message.replace(/^converged: /, ""),
      };
    } else {
      spent = held.iterations;
    }
  }
  if (!found && budget > spent) {
    const free = polish(model, c, start, budget - spent, "from a kink");
    if (free.converged && !higherInMean(model, free)) {
      found = { ...free, iterations: free.iterations + spent };
    }
  }
  // The end may lie within rounding of the kink already (and then a hair higher, by rounding).
  if (!found || found.logLikelihood < end.logLikelihood - 1e-12 * Math.abs(end.logLikelihood)) {
    evaluate(model, end.theta); // leave the model's residuals and variances at the end
    return null;
  }
  evaluate(model, found.theta);
  return found;
}

/**
 * θ with the mean parameters where the kinks of m observations cross (m the number of mean
 * parameters): the best such point over the subsets of the observations nearest to θ's mean.
 * Null if none has a finite log-likelihood.
 */
function bestCrossing(
  model: Model,
  theta: Float64Array,
): { theta: Float64Array; observations: number[] } | null {
  const { e, h, r, t0, n } = model;
  const m = model.layout.nMean;
  evaluate(model, theta);
  const order: number[] = [];
  for (let t = t0; t < n; t++) order.push(t);
  const z = (t: number) => Math.abs(e[t]!) / Math.sqrt(h[t]!);
  order.sort((a, b) => z(a) - z(b));
  const nearest = order.slice(0, CANDIDATES + m - 1);
  let best: { theta: Float64Array; observations: number[] } | null = null;
  let bestLl = Number.NEGATIVE_INFINITY;
  for (const subset of subsets(nearest, m)) {
    const mean = m === 1 ? [r[subset[0]!]!] : solveMean(r, subset);
    if (!mean) continue;
    const next = Float64Array.from(theta);
    next.set(mean, 0);
    const ll = evaluate(model, next);
    if (ll > bestLl) {
      bestLl = ll;
      best = { theta: next, observations: [...subset].sort((a, b) => a - b) };
    }
  }
  return best;
}

/** The subsets of `items` of size `size`. */
function* subsets(items: readonly number[], size: number): Generator<number[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = 0; i + size <= items.length; i++) {
    for (const rest of subsets(items.slice(i + 1), size - 1)) yield [items[i]!, ...rest];
  }
}

/**
 * The AR mean (mu, phi_1..phi_{m-1}) with residual 0 at each observation of `at`: the m x m
 * system mu + sum_i phi_i r_{t-i} = r_t, by elimination with partial pivoting. Null where it
 * is singular (to rounding).
 */
function solveMean(r: Float64Array, at: readonly number[]): number[] | null {
  const m = at.length;
  const a = at.map((t) => [1, ...Array.from({ length: m - 1 }, (_, i) => r[t - 1 - i]!), r[t]!]);
  let scale = 0;
  for (const row of a) for (let j = 0; j < m; j++) scale = Math.max(scale, Math.abs(row[j]!));
  for (let col = 0; col < m; col++) {
    let pivot = col;
    for (let i = col + 1; i < m; i++) {
      if (Math.abs(a[i]![col]!) > Math.abs(a[pivot]![col]!)) pivot = i;
    }
    if (!(Math.abs(a[pivot]![col]!) > 1e-10 * scale)) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let i = col + 1; i < m; i++) {
      const f = a[i]![col]! / a[col]![col]!;
      for (let j = col; j <= m; j++) a[i]![j] = a[i]![j]! - f * a[col]![j]!;
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let i = m - 1; i >= 0; i--) {
    let v = a[i]![m]!;
    for (let j = i + 1; j < m; j++) v -= a[i]![j]! * x[j]!;
    x[i] = v / a[i]![i]!;
  }
  return x.every(Number.isFinite) ? x : null;
}

/**
 * Whether a point with one mean parameter moved either way is higher than `estimate` by more
 * than DECREMENT_TOL / 2. Each is moved on its scale: the returns' standard deviation for mu,
 * 1 for an AR coefficient.
 */
function higherInMean(model: Model, estimate: Estimate): boolean {
  const { theta, logLikelihood } = estimate;
  const next = Float64Array.from(theta);
  for (let i = 0; i < model.layout.nMean; i++) {
    const scale = i === 0 ? Math.sqrt(model.variance) : 1;
    for (let j = 0; j < SAMPLES; j++) {
      const delta = scale * 10 ** (-12 + (10 * j) / (SAMPLES - 1));
      for (const sign of [1, -1]) {
        next[i] = theta[i]! + sign * delta;
        if (evaluate(model, next) > logLikelihood + DECREMENT_TOL / 2) return true;
      }
    }
    next[i] = theta[i]!;
  }
  return false;
}
