/**
 * The cumulative lift behind the report's chart: the experiment replayed in time order, with the
 * difference treatment − control, its always-valid confidence sequence and the running
 * always-valid p-value at evenly spaced looks. One fixed mixing variance τ² serves every look
 * (the mSPRT's mixture is fixed, not re-estimated per look), so the band at the last look is the
 * interval the decision reports when it is given the decision's τ² (and, where the decision
 * clusters by user, its design effects).
 */
import { ExperimentsInputError } from "./errors.js";
import { MomentAccumulator } from "./moments.js";
import { msprt } from "./sequential.js";
import {
  requireCount,
  requireFinite,
  requireNonNegative,
  requireOpenInterval,
  requirePositive,
} from "./validate.js";

/** One observation of the primary metric: when its prediction was made (epoch ms), its value. */
export interface TimedValue {
  readonly t: number;
  readonly x: number;
}

/** The experiment as it stood after `observations` observations (both arms). */
export interface LiftPoint {
  readonly observations: number;
  readonly controlN: number;
  readonly treatmentN: number;
  readonly controlMean: number;
  readonly treatmentMean: number;
  /** treatment − control. */
  readonly diff: number;
  /** Always-valid (1 − alpha) confidence sequence for the difference at this look. */
  readonly ci: [number, number];
  /** Always-valid p-value: the running minimum over the looks so far. */
  readonly pValue: number;
}

/** Options of `liftPath`. */
export interface LiftPathOptions {
  /** Mixing variance τ² of the mSPRT, in the metric's squared units. */
  readonly tau2: number;
  /** Level of the band. Default 0.05. */
  readonly alpha?: number;
  /** Looks at most, evenly spaced in observations; the last look is at all of them. Default 60. */
  readonly points?: number;
  /** No look before each arm has this many observations. Default 2 (the least a variance needs). */
  readonly minSamplePerArm?: number;
  /**
   * Each arm's factor on its per-observation Var(mean) at every look, ≥ 0: Kish's design effect
   * (`designEffect`) where the decision's variance is clustered by user and the replayed values
   * carry no user. Default 1 for both (observations independent).
   */
  readonly designEffect?: { readonly control: number; readonly treatment: number };
}

/** The most looks a chart can use. */
export const MAX_LIFT_POINTS = 1000;

function requireTimeOrder(name: string, values: readonly TimedValue[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    requireFinite(`${name}[${i}].t`, v.t);
    requireFinite(`${name}[${i}].x`, v.x);
    if (i > 0 && v.t < values[i - 1]!.t) {
      throw new ExperimentsInputError(
        "OUT_OF_RANGE",
        `${name}[${i}].t`,
        `must not precede ${name}[${i - 1}].t (values come in time order), got ${v.t} < ${values[i - 1]!.t}`,
      );
    }
  }
}

/**
 * Replays `control` and `treatment` (each in time order) merged by time, and looks at up to
 * `points` evenly spaced totals. Looks where an arm is below `minSamplePerArm` or both arms are
 * still constant (no variance to test with) are skipped, so the result may be empty.
 */
export function liftPath(
  control: readonly TimedValue[],
  treatment: readonly TimedValue[],
  opts: LiftPathOptions,
): LiftPoint[] {
  requirePositive("opts.tau2", opts.tau2);
  const alpha = opts.alpha ?? 0.05;
  requireOpenInterval("opts.alpha", alpha, 0, 1);
  const points = opts.points ?? 60;
  requireCount("opts.points", points);
  if (points < 1 || points > MAX_LIFT_POINTS) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "opts.points",
      `must lie in [1, ${MAX_LIFT_POINTS}], got ${points}`,
    );
  }
  const minSample = opts.minSamplePerArm ?? 2;
  requireCount("opts.minSamplePerArm", minSample);
  const deff = opts.designEffect ?? { control: 1, treatment: 1 };
  requireNonNegative("opts.designEffect.control", deff.control);
  requireNonNegative("opts.designEffect.treatment", deff.treatment);
  requireTimeOrder("control", control);
  requireTimeOrder("treatment", treatment);

  const total = control.length + treatment.length;
  const a = new MomentAccumulator();
  const b = new MomentAccumulator();
  const out: LiftPoint[] = [];
  let previousPValue = 1;
  let i = 0;
  let j = 0;
  for (let look = 1; look <= points; look++) {
    const until = Math.ceil((total * look) / points);
    // Merge by time; on a tie the control goes first (the order does not change a look's totals).
    while (i + j < until) {
      if (j >= treatment.length || (i < control.length && control[i]!.t <= treatment[j]!.t)) {
        a.add(control[i++]!.x);
      } else {
        b.add(treatment[j++]!.x);
      }
    }
    if (a.n < Math.max(2, minSample) || b.n < Math.max(2, minSample)) continue;
    if (out.length > 0 && out.at(-1)!.observations === a.n + b.n) continue;
    const variance =
      (deff.control * a.m2) / (a.n - 1) / a.n + (deff.treatment * b.m2) / (b.n - 1) / b.n;
    if (!(variance > 0)) continue;
    const seq = msprt(
      { diff: b.mean - a.mean, variance },
      { tau2: opts.tau2, alpha, previousPValue },
    );
    previousPValue = seq.pValue;
    out.push({
      observations: a.n + b.n,
      controlN: a.n,
      treatmentN: b.n,
      controlMean: a.mean,
      treatmentMean: b.mean,
      diff: seq.diff,
      ci: seq.ci,
      pValue: seq.pValue,
    });
  }
  return out;
}
