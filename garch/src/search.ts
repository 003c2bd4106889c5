/**
 * The search for the global maximum of GARCH(p,q) with p or q above 1, whose likelihood can
 * have several local maxima (a lag's coefficient at 0 is a typical trap: the nested model's
 * optimum is a KKT point of the larger model).
 *
 * Continuation in the order: the nested models GARCH(p-1,q) and GARCH(p,q-1) are fitted first
 * (each by this same search, down to GARCH(1,1); each nested model once per fit), and each
 * optimum starts the larger model three times: with the extra lag at its bound (0), and off it,
 * with half and with all of the last lag's coefficient moved to the extra lag (the same
 * persistence; once only where that coefficient is 0). Then the two best points of a small deterministic grid over persistence and
 * ARCH share, lags weighted 1, 1/2, 1/4, ... (start.ts). Quasi-Newton runs from these starts in
 * that order; a run stops as soon as it heads for an optimum already found or cannot beat the
 * best one (optimize/early-stop.ts), so most starts cost a few passes. The best end is
 * polished.
 *
 * A nested model is only a start, so it runs first from its continuation starts alone (each
 * extra lag at 0); the other starts run too only where that leaves it short (a run that did not
 * converge) or with little ARCH effect (start.ts, `weakArch`), the likelihoods with maxima those
 * starts do not lead to. On series with clear ARCH effects a GARCH(3,3) fit takes less than half
 * the iterations to the same optimum; near white noise the nested searches are whole.
 */
import { buildModel, type Model } from "./likelihood.js";
import { finish, localEstimate, type Runs, runStarts } from "./local.js";
import { type Constraints, constraintsOf } from "./optimize/constraints.js";
import type { Estimate } from "./optimize/result.js";
import { layoutOf } from "./params.js";
import { startingValues, weakArch } from "./start.js";
import type { GarchSpec } from "./types.js";

/** Grid starts run after the nested ones. */
const GRID_STARTS = 2;
/** Shares of the last lag's coefficient moved to the extra lag ("off its bound"). */
const SHARES = [0.5, 1];

/** A nested model's optimum: only a start for the larger models, so not polished. */
interface Optimum {
  readonly theta: Float64Array;
  readonly logLikelihood: number;
  readonly iterations: number;
}

/** Nested models fitted once per top-level fit, by order. */
type Nested = Map<string, Optimum>;

/** Whether a spec needs the global search (p or q above 1). */
export function needsSearch(spec: GarchSpec): boolean {
  return spec.p > 1 || spec.q > 1;
}

/**
 * The estimate of the nested model with orders (p, q) of `model`'s spec, fitted once per
 * top-level fit (a repeat reports no iterations: they were counted where it was fitted). Each
 * is only a start: a search's optimum is not polished, nor a GARCH(1,1)'s or ARCH(1)'s that
 * converged with ARCH effects (local.ts, `finishRuns`).
 */
function nestedOptimum(
  model: Model,
  p: number,
  q: number,
  maxIterations: number,
  nested: Nested,
): Optimum {
  const key = `${p},${q}`;
  const done = nested.get(key);
  if (done) return { ...done, iterations: 0 };
  const spec = { ...model.spec, p, q };
  const sub = buildModel(model.r, spec);
  const c = constraintsOf(sub);
  let optimum: Optimum;
  if (needsSearch(spec)) {
    const { runs, iterations } = searchRuns(sub, c, maxIterations, nested, true);
    optimum = {
      theta: runs.best?.theta ?? new Float64Array(c.k).fill(Number.NaN),
      logLikelihood: runs.best?.logLikelihood ?? Number.NaN,
      iterations: iterations + runs.iterations,
    };
  } else optimum = localEstimate(sub, c, maxIterations, "start");
  nested.set(key, optimum);
  return optimum;
}

/**
 * Starts for `spec` from the optimum of the nested model with one lag fewer in the ARCH
 * (`group` "alpha") or GARCH ("beta") terms: the extra lag at 0, then with a share of the last
 * lag's coefficient moved to it, unless that coefficient is 0 (on its bound: the shares would
 * repeat the first start, and a run from a repeated start can only repeat the first run).
 */
export function embed(
  spec: GarchSpec,
  nestedSpec: GarchSpec,
  theta: Float64Array,
  group: "alpha" | "beta",
): Float64Array[] {
  const from = layoutOf(nestedSpec);
  const to = layoutOf(spec);
  const base = new Float64Array(to.k);
  base.set(theta.subarray(0, from.alpha), 0);
  base.set(theta.subarray(from.alpha, from.beta), to.alpha);
  base.set(theta.subarray(from.beta, from.shape), to.beta);
  base.set(theta.subarray(from.shape), to.shape);
  const extra = group === "alpha" ? to.alpha + spec.p - 1 : to.beta + spec.q - 1;
  const last = extra - 1;
  const starts = [base];
  if (base[last] === 0) return starts;
  for (const share of SHARES) {
    const moved = Float64Array.from(base);
    moved[extra] = share * base[last]!;
    moved[last] = (1 - share) * base[last]!;
    starts.push(moved);
  }
  return starts;
}

/**
 * The runs of the global search, and the iterations the nested models took. `asStart`: the model
 * is a nested one, whose other starts run only where its continuation starts leave it short or
 * with little ARCH effect (see the module comment).
 */
function searchRuns(
  model: Model,
  c: Constraints,
  maxIterations: number,
  nested: Nested,
  asStart = false,
): { runs: Runs; iterations: number } {
  const { spec } = model;
  const embedded: Float64Array[][] = [];
  let iterations = 0;
  const add = (p: number, q: number, group: "alpha" | "beta") => {
    const optimum = nestedOptimum(model, p, q, maxIterations, nested);
    iterations += optimum.iterations;
    if (Number.isFinite(optimum.logLikelihood)) {
      embedded.push(embed(spec, { ...spec, p, q }, optimum.theta, group));
    }
  };
  if (spec.p > 1) add(spec.p - 1, spec.q, "alpha");
  if (spec.q > 1) add(spec.p, spec.q - 1, "beta");
  const all = () => [
    ...embedded.flat(),
    ...startingValues(model)
      .slice(0, GRID_STARTS)
      .map((s) => s.theta),
  ];
  if (!asStart || embedded.length === 0) {
    return { runs: runStarts(model, c, all(), maxIterations), iterations };
  }
  const continued = runStarts(
    model,
    c,
    embedded.map(([atZero]) => atZero!),
    maxIterations,
  );
  const { best } = continued;
  if (best?.end === "converged" && !weakArch(model, best.theta)) {
    return { runs: continued, iterations };
  }
  // All the starts, in a whole search's order: which runs stop early depends on it.
  return {
    runs: runStarts(model, c, all(), maxIterations),
    iterations: iterations + continued.iterations,
  };
}

/** The global search (see the module comment), its best end polished. */
export function searchEstimate(model: Model, c: Constraints, maxIterations: number): Estimate {
  const { runs, iterations } = searchRuns(model, c, maxIterations, new Map());
  return finish(model, c, runs, iterations, maxIterations);
}
