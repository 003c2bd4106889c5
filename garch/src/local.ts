/**
 * Local estimation: from the best points of the starting grid (start.ts), or on long series
 * from the optimum on a leading block of the sample, to the nearest optimum.
 *
 * - GARCH(1,1) with Normal innovations (the fused pass) has an exact Hessian in one pass:
 *   Newton's method runs from the two best grid starts and converges in a handful of passes.
 *   Long series go by nested leading blocks, each solved only as far as a start needs; the
 *   second grid start stops once it is seen to head for the first one's optimum; the last pass
 *   accumulates the outer product of the scores for the OPG standard errors.
 * - Where the best optimum shows little ARCH effect (start.ts, `WEAK_ARCH`), the weak-ARCH
 *   starts run too, on the series itself however long: such likelihoods often have a higher
 *   maximum on a face (alpha or beta at 0) that the grid's best points, or a leading block's
 *   optimum, do not lead to.
 * - Where an end is on the flat ridge of a series with no ARCH effect, the ridge is searched
 *   before the fit says it did not converge (optimize/flat.ts).
 * - Where a GED fit with a mean and nu near or below 1 ends short, the kinks of the
 *   log-likelihood in the mean are tried (optimize/kink.ts).
 * - Other models: the quasi-Newton stage (a BFGS estimate of the Hessian) from the starts, then
 *   Newton polishing with the Hessian the standard errors use.
 * - A nested model of the global search (search.ts) is only a start: where its best run converged
 *   and shows ARCH effects, that end is its estimate, unpolished (`finishRuns`).
 *
 * Every stage takes constrained steps that land on a limit when the optimum is there, and a
 * fit converges only when the KKT conditions hold (see optimize/active-set.ts), or, where the
 * Hessian is singular, the flat-ridge test of optimize/flat.ts.
 */
import { evaluate, headModel, type Model } from "./likelihood.js";
import { type Constraints, clip } from "./optimize/constraints.js";
import { type Known, sameOptimum } from "./optimize/early-stop.js";
import { escapeSaddle } from "./optimize/escape.js";
import { onFlatRidge } from "./optimize/flat.js";
import { opgAt } from "./optimize/hessian.js";
import { onKink } from "./optimize/kink.js";
import { type NewtonOptions, negated, newtonStage } from "./optimize/newton.js";
import { polish } from "./optimize/polish.js";
import { type QuasiResult, quasiNewtonStage } from "./optimize/quasi-newton.js";
import { type Estimate, isEstimate, type Stopped } from "./optimize/result.js";
import { startingValues, weakArch, weakArchStarts } from "./start.js";

/** Decrement to which a leading block is solved by Newton: its optimum is only a start. */
const HEAD_TOL = 1e-2;
/** Longest series Newton fits directly from grid starts; longer ones go by a leading block. */
const DIRECT_MAX = 4500;
/** Shortest leading block (`headLength`). */
const MIN_HEAD = 1500;
/** The general path first fits series longer than 1.5x this on a leading block of this length. */
const WARM_START_LENGTH = 3000;
/** Decrement to which the quasi-Newton stage runs before polishing. */
const QUASI_TOL = 1e-5;
/** Relative difference within which two ends' parameters are the same (`distinctEnds`). */
const SAME_POINT = 1e-3;

/** The estimate of a model no start gives a finite log-likelihood for. */
function noEstimate(model: Model): Estimate {
  const k = model.layout.k;
  return {
    theta: new Float64Array(k).fill(Number.NaN),
    logLikelihood: Number.NaN,
    hessian: null,
    iterations: 0,
    converged: false,
    message: "no starting value gives a finite log-likelihood",
    held: new Uint8Array(k),
    onPersistence: false,
    projectedGradient: new Float64Array(k).fill(Number.NaN),
  };
}

/**
 * How local estimation finishes its runs: `polish`ed into the fit's estimate (`finish`), or,
 * for a model whose optimum is only a start (a nested model of the global search, search.ts),
 * as a `start` (`finishRuns`).
 */
export type Finishing = "polish" | "start";

/**
 * The best run's end, converged, as a start for a larger model, whose own runs take it from
 * there (see `finishRuns`). Its Hessian is the runs' BFGS estimate of it; it reports no limits
 * held and no projected gradient.
 */
function asStart(model: Model, best: QuasiResult, iterations: number): Estimate {
  const k = model.layout.k;
  return {
    theta: best.theta,
    logLikelihood: best.logLikelihood,
    hessian: negated(best.curvature),
    iterations,
    converged: true,
    message: "a start: quasi-Newton converged",
    held: new Uint8Array(k),
    onPersistence: false,
    projectedGradient: new Float64Array(k).fill(Number.NaN),
  };
}

/**
 * `runs` finished as `finishing` says. A start is not polished where the best run converged
 * and its optimum shows ARCH effects: polishing (a Hessian of 2k passes) would settle digits
 * that the larger model's runs move anyway, as the search's nested optima of p or q above 1 are
 * not polished either. Other ends are finished as the fit's would be: on a weak-ARCH
 * likelihood, or where the runs stopped short, the finishing stages (the flat ridge, saddles,
 * kinks, several ends) can move the end to another optimum, and the larger model starts from
 * the one they find (without them a GARCH(1,2)-t search of 5,000 weak-ARCH returns ended 0.62
 * lower).
 */
function finishRuns(
  model: Model,
  c: Constraints,
  runs: Runs,
  iterations: number,
  maxIterations: number,
  finishing: Finishing,
): Estimate {
  const { best } = runs;
  return finishing === "start" && best?.end === "converged" && !weakArch(model, best.theta)
    ? asStart(model, best, iterations + runs.iterations)
    : finish(model, c, runs, iterations, maxIterations);
}

/** An estimate as a known optimum for early stops (null without a Hessian). */
function knownOf(estimate: Estimate): Known | null {
  return estimate.hessian
    ? {
        theta: estimate.theta,
        logLikelihood: estimate.logLikelihood,
        curvature: negated(estimate.hessian),
      }
    : null;
}

/**
 * Estimation for fused models by Newton's method: from the two best grid starts, or on long
 * series from the optimum on a leading block. Null hands over to the general path. `final`:
 * the estimate is the fit's (otherwise a start for a longer sample): converged to rounding
 * level, with e and h left at it and the outer product of the scores there. A start need not
 * be an optimum: where Newton stops short on a leading block, the point reached starts the
 * longer sample.
 */
function newtonEstimate(
  model: Model,
  c: Constraints,
  maxIterations: number,
  final: boolean,
): Estimate | Stopped | null {
  const options: NewtonOptions = final ? { opg: true } : { tol: HEAD_TOL };
  let best: Estimate | Stopped;
  // The second grid point, on a series fitted directly (a long one's leading block had it).
  let second: Float64Array | undefined;
  if (model.nEff > DIRECT_MAX) {
    const head = headModel(model, headLength(model.nEff) + model.t0);
    const first = newtonEstimate(head, c, maxIterations, false);
    if (!first) return null;
    const curvature =
      isEstimate(first) && first.hessian
        ? first.hessian.map((v) => (-v * model.nEff) / head.nEff)
        : undefined;
    const full = newtonStage(model, c, first.theta, maxIterations, { ...options, curvature });
    if (!full || full === "same") return null;
    best = { ...full, iterations: full.iterations + first.iterations };
    // A leading block's optimum is only a start: the levels above it take it from there.
    if (!final) return best;
  } else {
    const grid = startingValues(model);
    if (grid.length === 0) return null;
    const stage = newtonStage(model, c, grid[0]!.theta, maxIterations, options);
    if (!stage || stage === "same") return null;
    best = stage;
    second = grid[1]?.theta;
  }
  // Stopped short on the fit's own sample: the general path takes over from where it stopped.
  if (final && !isEstimate(best)) return best;
  // More starts guard against a poor local optimum: the second grid point, and where the best
  // optimum found shows little ARCH effect the weak-ARCH starts (a weak-ARCH likelihood has
  // several, on its faces and inside). Each stops as soon as it is seen to head for the best
  // optimum found.
  let chosen: Estimate | Stopped = best;
  let iterations = best.iterations;
  // Whether a later run's passes left e and h away from the chosen estimate.
  let moved = false;
  /** Newton from `start`; false where its end hands the fit to the general path. */
  const runFrom = (start: Float64Array): boolean => {
    const other = newtonStage(model, c, start, maxIterations, {
      ...options,
      reference: (isEstimate(chosen) && knownOf(chosen)) || undefined,
    });
    moved = true;
    if (other === "same" || !other) return true;
    iterations += other.iterations;
    if (final && !isEstimate(other)) {
      // Stopped short: harmless if even the quadratic model's maximum there is below the
      // optimum found; otherwise the general path decides.
      return !other.indefinite && other.logLikelihood + other.decrement / 2 < chosen.logLikelihood;
    }
    if (other.logLikelihood > chosen.logLikelihood) {
      chosen = other;
      moved = false;
    }
    return true;
  };
  if (second && !runFrom(second)) return null;
  if (weakArch(model, chosen.theta)) {
    for (const start of weakArchStarts(model)) if (!runFrom(start)) return null;
  }
  if (final && moved) evaluate(model, chosen.theta);
  return { ...chosen, iterations };
}

/**
 * The leading block a long series is first fitted on, itself fitted the same way: an eighth of
 * the series, or while that would be fitted directly, a quarter (at least `MIN_HEAD`
 * observations), since there the block's grid and two Newton runs are most of the cost. Each
 * level leaves the next a start a few Newton steps from its optimum for a fraction of a pass
 * over the longer sample.
 */
function headLength(nEff: number): number {
  const eighth = Math.floor(nEff / 8);
  return eighth > DIRECT_MAX ? eighth : Math.max(MIN_HEAD, Math.floor(nEff / 4));
}

/** The best end of quasi-Newton runs from several starts, and their iterations in total. */
export interface Runs {
  readonly best: QuasiResult | null;
  readonly iterations: number;
  /** The optima the runs converged to (one per run that was not stopped early). */
  readonly known: readonly Known[];
  /** Each run's end, in the order of the starts. */
  readonly ends: readonly QuasiResult[];
}

/**
 * Quasi-Newton runs from each start in turn; a later run stops once it heads for an optimum
 * already found, or cannot beat the best one (early-stop.ts). `seedEach`: each run's curvature
 * estimate starts from the outer product of the scores at its own start (the path a run from
 * it alone takes), not at the first start.
 */
export function runStarts(
  model: Model,
  c: Constraints,
  starts: readonly Float64Array[],
  maxIterations: number,
  known: Known[] = [],
  seedEach = false,
): Runs {
  let best: QuasiResult | null = null;
  let iterations = 0;
  const ends: QuasiResult[] = [];
  // The outer product of the scores at the first start seeds every run's curvature estimate:
  // one pass of per-observation scores instead of one per start.
  let curvature: Float64Array | null = null;
  for (const start of starts) {
    const theta = clip(c, start);
    if (seedEach || !curvature) curvature = opgAt(model, theta);
    const run = quasiNewtonStage(model, c, theta, maxIterations, {
      tol: QUASI_TOL,
      curvature,
      known,
      best: best?.logLikelihood ?? Math.max(...known.map((o) => o.logLikelihood)),
    });
    iterations += run.iterations;
    ends.push(run);
    if (run.end === "same" || run.end === "dominated") continue;
    if (!best || run.logLikelihood > best.logLikelihood) best = run;
    if (run.end === "converged") {
      known.push({ theta: run.theta, logLikelihood: run.logLikelihood, curvature: run.curvature });
    }
  }
  return { best, iterations, known, ends };
}

/** Local estimate of a model (see the module comment), its runs finished as `finishing` says. */
export function localEstimate(
  model: Model,
  c: Constraints,
  maxIterations: number,
  finishing: Finishing = "polish",
): Estimate {
  let warm: Stopped | null = null;
  if (model.fused) {
    const newton = newtonEstimate(model, c, maxIterations, true);
    if (newton && isEstimate(newton)) return newton;
    if (newton && !newton.indefinite) warm = newton;
  }
  if (warm && model.nEff > DIRECT_MAX) {
    // Newton got there from the optimum on a leading block, as the stage below would start.
    const runs = runStarts(model, c, [warm.theta], maxIterations);
    return finishRuns(model, c, runs, warm.iterations, maxIterations, finishing);
  }
  if (model.nEff > WARM_START_LENGTH * 1.5) {
    const head = headModel(model, WARM_START_LENGTH + model.t0);
    const first = localEstimate(head, c, maxIterations, finishing);
    if (first.hessian && Number.isFinite(first.logLikelihood)) {
      const scale = model.nEff / head.nEff;
      const run = quasiNewtonStage(model, c, first.theta, maxIterations, {
        tol: QUASI_TOL,
        curvature: first.hessian.map((v) => -v * scale),
      });
      const runs = { best: run, iterations: run.iterations, known: [], ends: [run] };
      // The block's optimum may lead elsewhere than the series' own best (see newtonEstimate).
      return weakArch(model, run.theta)
        ? finishWithWeakArch(model, c, runs, first.iterations, maxIterations, finishing)
        : finishRuns(model, c, runs, first.iterations, maxIterations, finishing);
    }
  }
  const grid = startingValues(model);
  if (grid.length === 0) return noEstimate(model);
  // Two starts from different grid points guard against a poor local optimum; the first is
  // where Newton got from the best one, if it ran.
  const starts = grid.slice(0, 2).map((s) => s.theta);
  if (warm) starts[0] = warm.theta;
  const runs = runStarts(model, c, starts, maxIterations);
  if (!runs.best || !weakArch(model, runs.best.theta)) {
    return finishRuns(model, c, runs, warm?.iterations ?? 0, maxIterations, finishing);
  }
  // Little ARCH effect at the best end: the weak-ARCH starts too (see newtonEstimate).
  return finishWithWeakArch(model, c, runs, warm?.iterations ?? 0, maxIterations, finishing);
}

/**
 * Finishes `runs` as `finishRuns` does, after the quasi-Newton stage has also run from the
 * weak-ARCH starts: together, stopped early where a run heads for an optimum found, and each
 * on its own without early stops (a weak-ARCH likelihood has several optima, and the early
 * stops, which judge a run by the optima found so far, can end one heading for a higher one);
 * a start's run alone is its group run, continued where that one was stopped. Each
 * distinct best end is finished (the runs' own, with the group's, with every run's), since
 * finishing can take a lower end to a higher optimum; the converged, then higher, estimate is
 * the fit's. The extra runs are capped like any run, but do not draw on what the cap leaves
 * the finishing stages; the estimate counts their iterations.
 */
function finishWithWeakArch(
  model: Model,
  c: Constraints,
  runs: Runs,
  iterations: number,
  maxIterations: number,
  finishing: Finishing,
): Estimate {
  const together = runStarts(model, c, weakArchStarts(model), maxIterations, [...runs.known], true);
  // Each start alone takes its group run's path (the same start and curvature; what the group
  // knows only stops a run early): a run not stopped is reused, a stopped one goes on from there.
  const alone = together.ends.map((end): Runs => {
    if (end.end !== "same" && end.end !== "dominated") {
      return { best: end, iterations: 0, known: [], ends: [end] };
    }
    const rest = quasiNewtonStage(model, c, end.theta, maxIterations - end.iterations, {
      tol: QUASI_TOL,
      curvature: end.curvature,
    });
    const whole = { ...rest, iterations: end.iterations + rest.iterations };
    return { best: whole, iterations: rest.iterations, known: [], ends: [whole] };
  });
  const extra = [together, ...alone].reduce((sum, r) => sum + r.iterations, 0);
  const better = (a: QuasiResult | null, b: QuasiResult | null) =>
    b && (!a || b.logLikelihood > a.logLikelihood) ? b : a;
  const withTogether = better(runs.best, together.best);
  const best = alone.reduce((b, r) => better(b, r.best), withTogether);
  let estimate: Estimate | null = null;
  for (const end of distinctEnds([runs.best, withTogether, best])) {
    const finished = finishRuns(
      model,
      c,
      { ...runs, best: end },
      iterations,
      maxIterations,
      finishing,
    );
    if (
      !estimate ||
      (finished.converged !== estimate.converged
        ? finished.converged
        : finished.logLikelihood > estimate.logLikelihood)
    ) {
      estimate = finished;
    }
  }
  evaluate(model, estimate!.theta); // leave the model's residuals and variances at it
  return { ...estimate!, iterations: estimate!.iterations + extra };
}

/**
 * The ends worth finishing, in order: each end once, and of converged ends at one point only
 * the highest (the first of equals), since finishing them gives one estimate. One point: every
 * parameter the same to 1e-3 of its size, and within half a standard error (sameOptimum) in the
 * metrics of both. The metric alone does not suffice: along the flat ridge of a white-noise
 * likelihood ends far apart are within a standard error, and finishing them (flat.ts) reaches
 * different optima (a GED fit of 10,000 returns: 0.065 lower from the higher of two ends, with
 * beta 0 and 0.027). Finishing several ends is for ends at different points, a lower one of
 * which finishing can take to a higher optimum.
 */
export function distinctEnds(ends: readonly (QuasiResult | null)[]): QuasiResult[] {
  const once = [...new Set(ends)].filter((e) => e !== null);
  const above = (f: QuasiResult, i: number, e: QuasiResult, j: number) =>
    f.logLikelihood > e.logLikelihood || (f.logLikelihood === e.logLikelihood && i < j);
  const onePoint = (f: QuasiResult, e: QuasiResult) =>
    f.theta.every(
      (v, i) =>
        Math.abs(v - e.theta[i]!) <= SAME_POINT * Math.max(Math.abs(v), Math.abs(e.theta[i]!)),
    ) && sameOptimum(f, e);
  return once.filter(
    (e, j) =>
      e.end !== "converged" ||
      !once.some((f, i) => i !== j && f.end === "converged" && above(f, i, e, j) && onePoint(f, e)),
  );
}

/**
 * Polishes the best run's end (or reports that no run had a finite likelihood). `iterations`
 * were spent before the runs; `maxIterations` caps each run's iterations and polishing steps.
 */
export function finish(
  model: Model,
  c: Constraints,
  runs: Runs,
  iterations: number,
  maxIterations: number,
): Estimate {
  const { best } = runs;
  if (!best) return noEstimate(model);
  const polished = polish(
    model,
    c,
    best.theta,
    maxIterations - best.iterations,
    `quasi-Newton ${best.end}`,
  );
  const spent = polished.iterations + iterations + runs.iterations;
  // What the fit's iteration cap leaves for another stage.
  const budget = maxIterations - spent;
  if (polished.converged) return { ...polished, iterations: spent };
  // Where the likelihood is flat along a direction (the GARCH coefficients of a series with no
  // ARCH effect), the end may be an optimum the KKT test cannot confirm (optimize/flat.ts).
  const ridge = onFlatRidge(model, c, polished);
  if (ridge.settled) return { ...ridge.settled, iterations: spent };
  if (budget <= 0) return { ...polished, iterations: spent };
  // Polishing takes a few chord steps; on a flat face of the likelihood they can stop short of
  // the KKT point, or end in a saddle of it. Another stage from there finishes: Newton where
  // the exact Hessian is at hand, otherwise the quasi-Newton stage and polishing again; and
  // from a saddle, from the better point along the direction of positive curvature (escape.ts).
  const finishFrom = (start: Float64Array, quasi = false): Estimate | null => {
    let end: Estimate | null = null;
    if (model.fused && !quasi) {
      const newton = newtonStage(model, c, start, budget, { opg: true });
      if (newton && newton !== "same" && isEstimate(newton)) end = newton;
    } else {
      const again = runStarts(model, c, [start], budget);
      if (again.best) {
        const label = `quasi-Newton ${again.best.end}, again`;
        const repolished = polish(model, c, again.best.theta, budget, label);
        end = { ...repolished, iterations: repolished.iterations + again.iterations };
      }
    }
    return end?.converged && end.logLikelihood >= polished.logLikelihood
      ? { ...end, iterations: end.iterations + spent }
      : null;
  };
  const finished = finishFrom(polished.theta);
  if (finished) return finished;
  // GED with nu near or below 1: the optimum in the mean may be a kink no step reaches (kink.ts).
  const kink = onKink(model, c, polished, budget);
  if (kink) return { ...kink, iterations: kink.iterations + spent };
  const escaped = escapeSaddle(model, c, polished);
  const fromSaddle = escaped ? finishFrom(escaped) : null;
  if (fromSaddle) return fromSaddle;
  const fromRidge = ridge.better ? finishFrom(ridge.better, true) : null;
  if (fromRidge) return fromRidge;
  evaluate(model, polished.theta); // leave the model's residuals and variances at it
  return { ...polished, iterations: spent };
}
