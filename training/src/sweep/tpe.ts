import { deriveSeed, Random } from "@mlops/garch/random";
import { OptionError } from "../errors.js";
import {
  type Assignment,
  checkSpace,
  type ParameterValue,
  randomAssignment,
  type SearchSpace,
} from "./space.js";

/** A finished trial as the Bayesian sampler sees it: its parameters and its metric (higher is better). */
export interface Observation {
  readonly assignment: Assignment;
  readonly value: number;
}

/** Tuning of the tree-structured Parzen estimator. */
export interface TpeOptions {
  /** Trials drawn at random before the model is used. @default 5 */
  startupTrials?: number;
  /** Share of observations counted as good. @default 0.25 */
  gamma?: number;
  /** Candidates drawn from the good density per parameter. @default 24 */
  candidates?: number;
}

/**
 * Checks that a space suits Bayesian sampling: `choice`, `uniform` and `quniform` as in Azure ML,
 * and `loguniform`, which is uniform in log space (an Azure ML sweep job samples it that way and
 * the trial takes the exponential; see `sweep-spec.ts`).
 */
export function checkBayesianSpace(space: SearchSpace): void {
  checkSpace(space);
  for (const [name, e] of Object.entries(space)) {
    if (e.type === "randint") {
      throw new OptionError(
        `space.${name}`,
        "must be choice, uniform, loguniform or quniform for Bayesian sampling",
        e.type,
      );
    }
  }
}

/**
 * Trial `index`'s assignment by the tree-structured Parzen estimator (Bergstra et al., 2011):
 * the observations are split into the best `gamma` share and the rest, each parameter gets a
 * density over the good values and one over the others (each mixed with the uniform prior), and
 * of `candidates` draws from the good density the one with the largest good/other ratio wins.
 * Before `startupTrials` observations it samples at random. Seeded by (seed, index).
 */
export function tpeAssignment(
  space: SearchSpace,
  observations: readonly Observation[],
  seed: number,
  index: number,
  options: TpeOptions = {},
): Assignment {
  checkBayesianSpace(space);
  const { startupTrials = 5, gamma = 0.25, candidates = 24 } = options;
  if (observations.length < Math.max(2, startupTrials)) return randomAssignment(space, seed, index);
  const sorted = [...observations].sort((a, b) => b.value - a.value);
  const nGood = Math.max(1, Math.ceil(gamma * sorted.length));
  const good = sorted.slice(0, nGood);
  const bad = sorted.slice(nGood);
  const rng = new Random(deriveSeed(seed, index));
  const assignment: Assignment = {};
  for (const [name, e] of Object.entries(space)) {
    if (e.type === "choice") {
      const weights = (group: readonly Observation[]) => {
        const w = e.values.map(() => 1);
        for (const o of group) {
          const k = e.values.indexOf(o.assignment[name] as ParameterValue);
          if (k >= 0) w[k]++;
        }
        const total = w.reduce((s, v) => s + v, 0);
        return w.map((v) => v / total);
      };
      const l = weights(good);
      const g = weights(bad);
      let best = 0;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < candidates; c++) {
        let u = rng.nextFloat();
        let k = 0;
        while (k < l.length - 1 && u >= l[k]) u -= l[k++];
        const score = l[k] / g[k];
        if (score > bestScore) {
          bestScore = score;
          best = k;
        }
      }
      assignment[name] = e.values[best];
    } else if (e.type !== "randint") {
      // A log-uniform parameter is modelled by its logarithm, in which it is uniform.
      const log = e.type === "loguniform";
      const { min, max } = e;
      const points = (group: readonly Observation[]) =>
        group
          .map((o) => o.assignment[name])
          .filter((v): v is number => typeof v === "number")
          .map((v) => (log ? Math.log(v) : v));
      const lPoints = points(good);
      const gPoints = points(bad);
      const l = parzen(lPoints, min, max);
      const g = parzen(gPoints, min, max);
      let best = min;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < candidates; c++) {
        const component = rng.nextInt(lPoints.length + 1);
        const x =
          component === lPoints.length
            ? min + rng.nextFloat() * (max - min)
            : Math.min(max, Math.max(min, lPoints[component] + l.sigma * rng.standardNormal()));
        const score = l.density(x) / g.density(x);
        if (score > bestScore) {
          bestScore = score;
          best = x;
        }
      }
      assignment[name] =
        e.type === "quniform" ? Math.round(best / e.q) * e.q : log ? Math.exp(best) : best;
    }
  }
  return assignment;
}

/** A Gaussian kernel density over `points` mixed with the uniform prior on [min, max]. */
function parzen(points: readonly number[], min: number, max: number) {
  const n = points.length;
  // Wide kernels while there are few points, narrowing as n^(−1/5) (Scott's rate).
  const sigma = ((max - min) / 4) * Math.max(1, n) ** -0.2;
  const norm = 1 / (sigma * Math.sqrt(2 * Math.PI));
  return {
    sigma,
    density: (x: number) => {
      let sum = 1 / (max - min);
      for (const p of points) sum += norm * Math.exp(-0.5 * ((x - p) / sigma) ** 2);
      return sum / (n + 1);
    },
  };
}
