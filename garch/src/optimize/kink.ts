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
 * the best of them, in turn until one is accepted:
 *
 * - with nu < 1, polishing with the mean held there: a converged polish (the KKT conditions on
 *   the other parameters) with nu still below 1 is a local maximum, since the cusps' slopes,
 *   infinite on either side, outweigh any finite slope of the rest in every direction of the
 *   mean. The mean has no Hessian or robust standard error there (the Hessian is not defined
 *   across a cusp; fit.ts gives OPG ones where nu > 3/4), and the others' are those of the model
 *   with it held;
 * - polishing with the mean free, its end accepted only where sampling each mean parameter on
 *   either side, from 1e-12 to 1e-2 of its scale, finds no point higher by more than half the
 *   decrement tolerance (beside a kink with nu > 1 the quadratic model can understate what is
 *   left to gain);
 * - with nu at or above 1, polishing with the mean held on the crossing, accepted where that
 *   sampling finds no higher point along the mean's axes nor along the crossing's edges (the
 *   lines where all but one of its kinks stay crossed, either way): to first order the
 *   log-likelihood is linear in the mean within each sector the kinks bound, a cone spanned by
 *   edges, so where no edge gains no direction does. Standard errors as for nu < 1;
 * - with an AR mean and nu above 1, the optimum may lie on the kink of one observation r[t]
 *   alone, a hyperplane along which the log-likelihood is smooth: polishing in coordinates that
 *   make it a limit (s = mu + sum_i phi_i r[t-i], the mean at t, in place of mu, held at r[t]),
 *   for the few observations nearest to the end, accepted where that polish converges (the KKT
 *   conditions along the kink) with nu still above 1 and the sampling along the mean's axes,
 *   each of which leaves the kink, finds no higher point. Standard errors as for nu < 1.
 *
 * An estimate is kept only if it is no lower than the end it started from (to 1e-12 relative).
 *
 * An end can also converge beside a kink, its mean within a hair of one: the Hessian's central
 * differences (hessian.ts) straddle the kink or meet the spike of curvature beside it, and the
 * decrement test passes with a curvature in the mean that is the kink's, not the sample's (with
 * nu < 1 the others' is convex: no optimum in the mean is off a kink). The Hessian standard
 * errors of the mean at such ends came out mostly 20 to 100 times under the OPG ones. Where the
 * kinks nearest to an end give a mean parameter's axis more curvature, as those differences see
 * it, than all the other observations together, the end is taken as on the kink (`besideKink`):
 * it stays where it is, and as on a kink the mean has no Hessian or robust standard error (the
 * others' are those of the model with it held). Nor is such an end taken for a flat ridge
 * (flat.ts): with nu < 1 the kink's convex curvature cancels the others' there. Over 295
 * simulated fits that converged off a kink (nu 0.8 to 1.1, n 1,000 to 5,000, constant and AR(1)
 * means) the 95 % Hessian intervals covered the mean 12 times in 139 where that ratio was 16 or
 * more, 26 in 27 where it was from 1 to 16 (Hessian standard errors 0.4 to 3.8 times the OPG
 * ones), and 108 in 109 below 1.
 */
import { evaluate, type Model } from "../likelihood.js";
import { AT_LOWER } from "./active-set.js";
import type { Constraints } from "./constraints.js";
import { hessianAt, type Objective } from "./hessian.js";
import { polish } from "./polish.js";
import { DECREMENT_TOL, type Estimate } from "./result.js";

/** Largest nu at which an end short of an optimum is tried on a kink. */
export const KINK_NU = 1.2;
/** Observations whose kinks are tried: at least this many, nearest first. */
const CANDIDATES = 8;
/** Observations whose kink alone is tried as the mean's (AR mean, nu > 1), nearest first. */
const LINE_CANDIDATES = 3;
/** Points sampled each way in each mean parameter (geometric, from 1e-12 to 1e-2 of its scale). */
const SAMPLES = 21;

/**
 * The estimate on a kink reached from `end` (an estimate that did not converge) within `budget`
 * polishing steps, converged and no lower than `end` beyond rounding; null where there is none
 * (see the module comment).
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
  // An end within rounding of the kink already can be a hair higher, by rounding.
  const noLower = (e: Estimate) =>
    e.logLikelihood >= end.logLikelihood - 1e-12 * Math.abs(end.logLikelihood);
  const fixed: Constraints = {
    ...c,
    lower: Float64Array.from(c.lower, (v, i) => (i < m ? start[i]! : v)),
    upper: Float64Array.from(c.upper, (v, i) => (i < m ? start[i]! : v)),
  };
  // Polishing steps spent on tries that were not accepted.
  let spent = 0;
  /** The polish with the mean held on the crossing, where it is accepted. */
  const onCrossing = (): Estimate | null => {
    const held = polish(model, fixed, start, budget - spent, "on a kink");
    const nu = held.theta[layout.shape]!;
    const accepted =
      held.converged &&
      noLower(held) &&
      (nu < 1 || !higherAlong(model, held, [...meanAxes(model), ...edges(model, observations)]));
    if (!accepted) {
      spent += held.iterations;
      return null;
    }
    const where = observations.map((t) => `r[${t}]`).join(", ");
    const shape =
      nu < 1
        ? "with nu < 1 has a cusp in the mean"
        : `with nu = ${nu.toPrecision(4)} is all but kinked in the mean, and no point off it is higher`;
    return {
      ...held,
      iterations: held.iterations + spent,
      onKink: true,
      message:
        `converged on a kink: the mean leaves a residual of 0 at ${where}, where the GED ` +
        `log-likelihood ${shape} (no Hessian or robust standard error there, the others' are ` +
        `those of the model with it held); on the others, ${held.message.replace(/^converged: /, "")}`,
    };
  };
  const below1 = start[layout.shape]! < 1;
  let found = below1 ? onCrossing() : null;
  if (!found && budget > spent) {
    const free = polish(model, c, start, budget - spent, "from a kink");
    if (free.converged && noLower(free) && !higherAlong(model, free, meanAxes(model))) {
      found = { ...(besideKink(model, free) ?? free), iterations: free.iterations + spent };
    } else {
      spent += free.iterations;
    }
  }
  // With nu at or above 1 a crossing is a maximum only where no direction off it gains.
  if (!found && !below1 && budget > spent) found = onCrossing();
  if (!found && m > 1 && end.theta[layout.shape]! > 1 && budget > spent) {
    const line = onKinkLine(model, c, end, budget - spent, noLower);
    if (line) found = { ...line, iterations: line.iterations + spent };
  }
  evaluate(model, (found ?? end).theta); // leave the model's residuals and variances there
  return found;
}

/**
 * Ratio of the curvature the nearest kinks give a mean parameter's axis to all the other
 * observations' above which the Hessian's curvature in the mean is the kinks' (`dominantKinks`).
 */
const KINK_DOMINANCE = 1;

/**
 * The kinks of the nMean observations nearest to θ where the Hessian's curvature in the mean is
 * theirs: where, along some mean parameter's axis, the curvature of their log-densities in their
 * residuals, as the Hessian's differences see it (hessianAt, with its steps), is more than
 * KINK_DOMINANCE times all the other observations' (absolute values), with the largest such
 * ratio. Null elsewhere, and where the log-likelihood has no kink in the mean (not GED, no mean,
 * nu >= 2). Leaves the model at θ.
 */
export function dominantKinks(
  model: Model,
  theta: Float64Array,
): { readonly ratio: number; readonly observations: number[] } | null {
  const { layout, spec, dist } = model;
  const { k, nMean: m } = layout;
  if (spec.dist !== "ged" || m === 0 || !(theta[layout.shape]! < 2)) return null;
  // The Hessian's curvature along the mean's axes, by its differences along them alone (those
  // along the others are skipped: that part of `all` is not read).
  const alongMean: Objective = (x, grad) => {
    if (x.some((v, i) => i >= m && v !== theta[i])) {
      grad?.fill(0);
      return 0;
    }
    return evaluate(model, x, grad);
  };
  const all = hessianAt(model, theta, alongMean);
  const observations = nearestKinks(model, theta, m).sort((a, b) => a - b);
  // Their log-densities at θ's variances, in residuals e_t = r[t] - mu - sum_i phi_i r[t-i]:
  // the kinks the differences meet; the rest of their terms is as smooth as the others'.
  const { e, h, r } = model;
  const regressor = (t: number, i: number) => (i === 0 ? 1 : r[t - i]!);
  const kernel = dist.kernel(theta, layout.shape);
  const d = new Float64Array(2 + dist.shapeNames.length);
  const theirs: Objective = (x, grad) => {
    let ll = 0;
    grad?.fill(0);
    for (const t of observations) {
      let et = e[t]!;
      for (let i = 0; i < m; i++) et -= regressor(t, i) * (x[i]! - theta[i]!);
      ll += kernel.logDensity(et, h[t]!, d);
      if (grad) for (let i = 0; i < m; i++) grad[i] = grad[i]! - d[0]! * regressor(t, i);
    }
    return ll;
  };
  const kinks = hessianAt(model, theta, theirs);
  let ratio = 0;
  for (let i = 0; i < m; i++) {
    const own = kinks[i * k + i]!;
    ratio = Math.max(ratio, Math.abs(own) / Math.abs(all[i * k + i]! - own));
  }
  return ratio > KINK_DOMINANCE ? { ratio, observations } : null;
}

/**
 * `estimate` (converged, off a kink) taken as on one where it is beside one, its Hessian's
 * curvature in the mean the nearest kinks' (`dominantKinks`; see the module comment): its
 * parameters and log-likelihood stay, its mean parameters are marked held (no Hessian or robust
 * standard error). Null elsewhere. Leaves the model at the estimate.
 */
export function besideKink(model: Model, estimate: Estimate): Estimate | null {
  if (!estimate.converged || estimate.onKink) return null;
  const { layout } = model;
  const m = layout.nMean;
  const kinks = dominantKinks(model, estimate.theta);
  if (!kinks) return null;
  const { e, h } = model;
  const z = kinks.observations.map((t) => Math.abs(e[t]!) / Math.sqrt(h[t]!));
  const residuals = kinks.observations
    .map((t, j) => `${z[j] === 0 ? 0 : z[j]!.toExponential(1)} at r[${t}]`)
    .join(", ");
  // The free polish from a crossing can end on it, every residual 0 (nu >= 1).
  const where = z.every((v) => v === 0) ? "on" : "beside";
  const nu = estimate.theta[layout.shape]!;
  const shape =
    nu < 1 ? "with nu < 1 has a cusp" : `with nu = ${nu.toPrecision(4)} is all but kinked`;
  const [which, theirs] =
    m === 1
      ? ["a standardised residual", "that observation's"]
      : ["standardised residuals", "theirs"];
  return {
    ...estimate,
    held: Uint8Array.from(estimate.held, (v, i) => (i < m ? AT_LOWER : v)),
    onKink: true,
    message:
      `converged ${where} a kink: the mean leaves ${which} of ${residuals}, ` +
      `where the GED log-likelihood ${shape} in the mean, and the Hessian's curvature in the mean ` +
      `is ${theirs}, ${kinks.ratio.toPrecision(2)} times the other observations' (no Hessian or ` +
      `robust standard error for the mean, the others' are those of the model with it held); ` +
      estimate.message.replace(/^converged: /, ""),
  };
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
  const { r } = model;
  const m = model.layout.nMean;
  const nearest = nearestKinks(model, theta, CANDIDATES + m - 1);
  let best: { theta: Float64Array; observations: number[] } | null = null;
  let bestLl = Number.NEGATIVE_INFINITY;
  for (const subset of subsets(nearest, m)) {
    const mean =
      m === 1
        ? [r[subset[0]!]!]
        : solveAt(
            r,
            subset,
            subset.map((t) => r[t]!),
          );
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

/** The `count` observations whose kinks are nearest to θ: the smallest |standardised residuals|. */
function nearestKinks(model: Model, theta: Float64Array, count: number): number[] {
  const { e, h, t0, n } = model;
  evaluate(model, theta);
  const z = (t: number) => Math.abs(e[t]!) / Math.sqrt(h[t]!);
  // Kept in order (the earlier of equals first) by insertion: count is a handful, n thousands.
  const nearest: number[] = [];
  for (let t = t0; t < n; t++) {
    const zt = z(t);
    let j = nearest.length;
    while (j > 0 && zt < z(nearest[j - 1]!)) j--;
    if (j < count) {
      nearest.splice(j, 0, t);
      if (nearest.length > count) nearest.pop();
    }
  }
  return nearest;
}

/**
 * The estimate on the kink of one observation alone (an AR mean, nu > 1; see the module comment),
 * for each of the LINE_CANDIDATES observations nearest to `end` in turn; null where none is
 * accepted (converged, `noLower`, and no point off the kink higher) within `budget` steps.
 */
function onKinkLine(
  model: Model,
  c: Constraints,
  end: Estimate,
  budget: number,
  noLower: (estimate: Estimate) => boolean,
): Estimate | null {
  const { r, layout } = model;
  const m = layout.nMean;
  let spent = 0;
  for (const t of nearestKinks(model, end.theta, LINE_CANDIDATES)) {
    if (budget <= spent) break;
    /** θ from the coordinates with s in place of mu. */
    const toTheta = (u: Float64Array): Float64Array => {
      const theta = Float64Array.from(u);
      for (let i = 1; i < m; i++) theta[0] = theta[0]! - u[i]! * r[t - i]!;
      return theta;
    };
    // d/dphi_i at fixed s = d/dphi_i - r[t-i] d/dmu; d/ds = d/dmu.
    const objective: Objective = (u, grad) => {
      const ll = evaluate(model, toTheta(u), grad);
      if (grad) for (let i = 1; i < m; i++) grad[i] = grad[i]! - r[t - i]! * grad[0]!;
      return ll;
    };
    const held: Constraints = {
      ...c,
      lower: Float64Array.from(c.lower, (v, i) => (i === 0 ? r[t]! : v)),
      upper: Float64Array.from(c.upper, (v, i) => (i === 0 ? r[t]! : v)),
    };
    const start = Float64Array.from(end.theta);
    start[0] = r[t]!;
    const line = polish(model, held, start, budget - spent, "on a kink", objective);
    spent += line.iterations;
    if (!line.converged || !(line.theta[layout.shape]! > 1)) continue;
    const theta = toTheta(line.theta);
    const logLikelihood = evaluate(model, theta);
    const estimate = { ...line, theta, logLikelihood };
    if (!noLower(estimate) || higherAlong(model, estimate, meanAxes(model))) continue;
    const nu = line.theta[layout.shape]!;
    return {
      ...line,
      theta,
      logLikelihood,
      iterations: spent,
      // Every mean parameter is reported held: no standard error (see at-bound.ts).
      held: Uint8Array.from(line.held, (v, i) => (i < m ? AT_LOWER : v)),
      onKink: true,
      message:
        `converged on a kink: the mean leaves a residual of 0 at r[${t}], where the GED ` +
        `log-likelihood with nu = ${nu.toPrecision(4)} is all but kinked in the mean, and no ` +
        `point off it is higher (no Hessian or robust standard error for the mean, the others' ` +
        `are those of the model with it held); along it, ${line.message.replace(/^converged: /, "")}`,
    };
  }
  return null;
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
 * The mean parameters x (mu, phi_1..phi_{m-1}) with x_t'x = rhs_j at each observation t = at[j]
 * (x_t = (1, r[t-1], .., r[t-m+1])): with rhs_j = r[t], the AR mean with residual 0 there. By
 * elimination with partial pivoting; null where the system is singular (to rounding).
 */
function solveAt(r: Float64Array, at: readonly number[], rhs: readonly number[]): number[] | null {
  const m = at.length;
  const a = at.map((t, j) => [
    1,
    ...Array.from({ length: m - 1 }, (_, i) => r[t - 1 - i]!),
    rhs[j]!,
  ]);
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
 * The mean's axes, each on its scale: the returns' standard deviation for mu, 1 for an AR
 * coefficient (directions in θ, k entries).
 */
function meanAxes(model: Model): Float64Array[] {
  const { k, nMean } = model.layout;
  return Array.from({ length: nMean }, (_, i) => {
    const d = new Float64Array(k);
    d[i] = i === 0 ? Math.sqrt(model.variance) : 1;
    return d;
  });
}

/**
 * The edges of the crossing of the kinks of `at` (m observations): for each, the direction in
 * which its residual changes by the returns' standard deviation and the others' stay 0.
 */
function edges(model: Model, at: readonly number[]): Float64Array[] {
  const { layout, r } = model;
  const sd = Math.sqrt(model.variance);
  const out: Float64Array[] = [];
  at.forEach((_, j) => {
    const x = solveAt(
      r,
      at,
      at.map((__, i) => (i === j ? -sd : 0)),
    );
    if (!x) return;
    const d = new Float64Array(layout.k);
    d.set(x, 0);
    out.push(d);
  });
  return out;
}

/**
 * Whether a point θ + δ d, for a direction d of `directions` either way and δ geometric from
 * 1e-12 to 1e-2, is higher than `estimate` by more than DECREMENT_TOL / 2.
 */
function higherAlong(model: Model, estimate: Estimate, directions: readonly Float64Array[]) {
  const { theta, logLikelihood } = estimate;
  const next = new Float64Array(theta.length);
  for (const d of directions) {
    for (let j = 0; j < SAMPLES; j++) {
      const delta = 10 ** (-12 + (10 * j) / (SAMPLES - 1));
      for (const sign of [delta, -delta]) {
        for (let i = 0; i < theta.length; i++) next[i] = theta[i]! + sign * d[i]!;
        if (evaluate(model, next) > logLikelihood + DECREMENT_TOL / 2) return true;
      }
    }
  }
  return false;
}
