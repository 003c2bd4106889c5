/**
 * Planning an experiment: how many observations per arm a minimum detectable effect needs, how
 * long that takes at a given traffic, and what a running experiment can detect with the traffic
 * it has had. Two sizes are reported because the decision uses the always-valid mSPRT, which
 * pays for the freedom to look at any time with more data than a test looked at once.
 */
import type { PrimaryMetric } from "@mlops/contracts";
import type { Analysis } from "./analyze.js";
import { DEFAULT_MIN_SAMPLE_PER_ARM } from "./decision-policy.js";
import { ExperimentsInputError } from "./errors.js";
import { summarize } from "./moments.js";
import { sampleSizeMeans, sampleSizeProportions } from "./power.js";
import { alwaysValidMde, DEFAULT_STANDARDIZED_TAU, msprt, msprtMeans } from "./sequential.js";
import { requireOpenInterval, requirePositive } from "./validate.js";
import { metricMoments } from "./variant-metrics.js";

/** What the planned metric is: a rate (accuracy) or the mean of a numeric outcome. */
export type PlanMetric = "accuracy" | "mean";

/** What to plan for. */
export interface PlanInput {
  readonly metric: PlanMetric;
  /** The champion's accuracy (in (0, 1)) or mean outcome. */
  readonly baseline: number;
  /** Smallest absolute improvement worth detecting (accuracy points as a fraction, or outcome units). */
  readonly mde: number;
  /** Per-observation standard deviation of the outcome; required for `mean`. */
  readonly sd?: number;
  /** Default 0.05. */
  readonly alpha?: number;
  /** Default 0.8. */
  readonly power?: number;
  /** Predictions per day over both arms; without it no duration is given. */
  readonly trafficPerDay?: number;
  /** The challenger's share of traffic in percent, (0, 100). Default 50. */
  readonly challengerWeight?: number;
}

/**
 * Observations per arm and, with traffic, days until the smaller arm has them: what the power
 * asks for (`byPower`), but never fewer than the decision looks at (`perArm` is the larger).
 */
export interface PlanSize {
  readonly perArm: number;
  readonly byPower: number;
  readonly days: number | null;
}

/** The plan. */
export interface Plan {
  readonly metric: PlanMetric;
  readonly baseline: number;
  readonly target: number;
  readonly mde: number;
  readonly alpha: number;
  readonly power: number;
  /**
   * The fewest observations per arm the decision compares (DEFAULT_MIN_SAMPLE_PER_ARM, the
   * policy's default): no size below it is reported, since nothing is decided before it.
   */
  readonly minSamplePerArm: number;
  /** A test looked at once, at the end (two-sided, `power`). */
  readonly fixedHorizon: PlanSize;
  /**
   * The always-valid test the decision uses (with its default mixing variance): the per-arm size
   * at which it rejects with probability `power` when the true difference is the MDE.
   */
  readonly sequential: PlanSize;
}

/** Largest outcome variance over MDE² planned for: the sizes stay doubles, the looks' variances above 0. */
const MAX_PLANNED_RATIO = 1e300;

/**
 * Smallest n per arm at which the mSPRT, looked at there, rejects with probability `power` when
 * the true difference is `diff` (its {@link alwaysValidMde} is at most `diff`). Looks before n
 * can only have rejected already, so the power by n is at least `power`.
 */
function sequentialPerArm(
  diff: number,
  varA: number,
  varB: number,
  alpha: number,
  power: number,
): number {
  const tau2 = DEFAULT_STANDARDIZED_TAU ** 2 * ((varA + varB) / 2);
  const rejects = (n: number) =>
    alwaysValidMde(msprt({ diff: 0, variance: varA / n + varB / n }, { tau2, alpha }), power) <=
    diff;
  // ln Λ grows with n once n is past the mixture's scale: double to a rejecting n, then bisect.
  let hi = 2;
  while (!rejects(hi)) hi *= 2;
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    // Beyond 2^53 neighbouring doubles are further apart than 1: stop when none lies between.
    if (mid <= lo || mid >= hi) break;
    if (rejects(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Sizes and durations for `input`; throws `ExperimentsInputError` naming the bad field. */
export function planExperiment(input: PlanInput): Plan {
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  requireOpenInterval("alpha", alpha, 0, 1);
  requireOpenInterval("power", power, 0, 1);
  requirePositive("mde", input.mde);
  const weight = input.challengerWeight ?? 50;
  requireOpenInterval("challengerWeight", weight, 0, 100);
  if (input.trafficPerDay !== undefined) requirePositive("trafficPerDay", input.trafficPerDay);
  const target = input.baseline + input.mde;
  let fixed: number;
  let varA: number;
  let varB: number;
  if (input.metric === "accuracy") {
    requireOpenInterval("baseline", input.baseline, 0, 1);
    if (!(target < 1)) {
      throw new ExperimentsInputError(
        "OUT_OF_RANGE",
        "mde",
        `baseline + mde must stay below 1 for accuracy, got ${input.baseline} + ${input.mde}`,
      );
    }
    if (!(target > input.baseline)) {
      throw new ExperimentsInputError(
        "OUT_OF_RANGE",
        "mde",
        `is below the precision of the baseline (baseline + mde is the baseline), got ${input.mde}`,
      );
    }
    fixed = sampleSizeProportions(input.baseline, target, { alpha, power }).perArm;
    varA = input.baseline * (1 - input.baseline);
    varB = target * (1 - target);
  } else {
    if (input.sd === undefined) {
      throw new ExperimentsInputError("NOT_POSITIVE", "sd", "is required for a mean outcome");
    }
    requirePositive("sd", input.sd);
    if (!Number.isFinite(input.sd * input.sd)) {
      throw new ExperimentsInputError(
        "OUT_OF_RANGE",
        "sd",
        `its square, the outcome's variance, must be a finite number, got ${input.sd}`,
      );
    }
    fixed = sampleSizeMeans(input.mde, input.sd, { alpha, power }).perArm;
    varA = input.sd * input.sd;
    varB = varA;
  }
  if (!(varA / (input.mde * input.mde) < MAX_PLANNED_RATIO)) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "mde",
      `is too small against the outcome's spread to plan for (over 1e300 observations per arm), got ${input.mde}`,
    );
  }
  // The smaller arm sets the pace.
  const perDayInSmallerArm =
    input.trafficPerDay === undefined
      ? null
      : (input.trafficPerDay * Math.min(weight, 100 - weight)) / 100;
  const size = (byPower: number): PlanSize => {
    const perArm = Math.max(byPower, DEFAULT_MIN_SAMPLE_PER_ARM);
    return {
      perArm,
      byPower,
      days: perDayInSmallerArm === null ? null : perArm / perDayInSmallerArm,
    };
  };
  return {
    metric: input.metric,
    baseline: input.baseline,
    target,
    mde: input.mde,
    alpha,
    power,
    minSamplePerArm: DEFAULT_MIN_SAMPLE_PER_ARM,
    fixedHorizon: size(fixed),
    sequential: size(sequentialPerArm(input.mde, varA, varB, alpha, power)),
  };
}

/** What a running experiment can detect now. */
export interface ReachableMde {
  /** The experiment's primary metric, whose difference `mde` is. */
  readonly metric: PrimaryMetric;
  readonly controlN: number;
  readonly treatmentN: number;
  /** Smallest |difference| of the primary metric detectable now; null while it cannot be estimated. */
  readonly mde: number | null;
}

/**
 * The MDE reachable with an analysed experiment's traffic so far, at its alpha and `power`
 * (default 0.8), from whatever each arm has: what the decision's always-valid test would detect
 * at this look ({@link alwaysValidMde}, as the decision reports it); null before both arms have
 * observations that vary.
 */
export function reachableMde(analysis: Analysis, power = 0.8): ReachableMde {
  requireOpenInterval("power", power, 0, 1);
  const { experiment, result } = analysis;
  const momentsOf = (arm: string) => {
    const m = analysis.metrics.find((v) => v.variant === arm);
    return m === undefined ? null : metricMoments(m, experiment.primary_metric);
  };
  const c = momentsOf(result.arms.control);
  const t = momentsOf(result.arms.treatment);
  const controlN = c?.n ?? 0;
  const treatmentN = t?.n ?? 0;
  if (c === null || t === null || controlN < 2 || treatmentN < 2) {
    return { metric: experiment.primary_metric, controlN, treatmentN, mde: null };
  }
  const control = summarize(c);
  const treatment = summarize(t);
  if (!(control.variance > 0 && treatment.variance > 0)) {
    return { metric: experiment.primary_metric, controlN, treatmentN, mde: null };
  }
  const look = msprtMeans(control, treatment, { alpha: experiment.alpha });
  return {
    metric: experiment.primary_metric,
    controlN,
    treatmentN,
    mde: alwaysValidMde(look, power),
  };
}
