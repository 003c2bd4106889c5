/** How a promotion decision is taken: which arms, how much data, which levels; with defaults. */
import type { Experiment } from "@mlops/contracts";
import { ExperimentsInputError } from "./errors.js";
import { DEFAULT_SRM_THRESHOLD } from "./srm.js";
import { requireCount, requireOpenInterval, requirePositive } from "./validate.js";

/** How the decision is taken; every field has a default. */
/** Observations each arm needs before the decision compares the arms (`policy.minSamplePerArm`). */
export const DEFAULT_MIN_SAMPLE_PER_ARM = 100;

export interface DecisionPolicy {
  /** The arm that serves now. Default "champion". */
  readonly control?: string;
  /** The arm that may replace it. Default "challenger". */
  readonly treatment?: string;
  /** SRM flag level. Default 0.001. */
  readonly srmThreshold?: number;
  /** Fewer observations of the primary metric in either arm means "continue". Default 100. */
  readonly minSamplePerArm?: number;
  /** Mixing variance of the primary metric's mSPRT. Default: see `msprtMeans`. */
  readonly tau2?: number;
  /** Power at which the reachable MDE is reported. Default 0.8. */
  readonly power?: number;
}

/** A checked policy with its defaults applied (`tau2` stays optional: `msprtMeans` defaults it). */
export interface ResolvedPolicy {
  readonly control: string;
  readonly treatment: string;
  readonly minSamplePerArm: number;
  readonly srmThreshold: number;
  readonly power: number;
  readonly tau2: number | undefined;
}

/**
 * Check `policy` against `experiment` and apply the defaults. Throws `ExperimentsInputError`
 * naming the field when an arm is not a variant of the experiment or a level is out of range.
 */
export function resolvePolicy(
  policy: DecisionPolicy,
  experiment: Pick<Experiment, "id" | "variants">,
): ResolvedPolicy {
  const control = policy.control ?? "champion";
  const treatment = policy.treatment ?? "challenger";
  const names = experiment.variants.map((v) => v.name);
  for (const [field, name] of [
    ["policy.control", control],
    ["policy.treatment", treatment],
  ] as const) {
    if (!names.includes(name)) {
      throw new ExperimentsInputError(
        "UNKNOWN_VARIANT",
        field,
        `must name a variant of experiment ${experiment.id} (${names.join(", ")}), got ${name}`,
      );
    }
  }
  if (control === treatment) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "policy.treatment",
      "must differ from policy.control",
    );
  }
  const minSamplePerArm = policy.minSamplePerArm ?? DEFAULT_MIN_SAMPLE_PER_ARM;
  requireCount("policy.minSamplePerArm", minSamplePerArm);
  if (minSamplePerArm < 2) {
    throw new ExperimentsInputError(
      "OUT_OF_RANGE",
      "policy.minSamplePerArm",
      `must be ≥ 2, got ${minSamplePerArm}`,
    );
  }
  const srmThreshold = policy.srmThreshold ?? DEFAULT_SRM_THRESHOLD;
  requireOpenInterval("policy.srmThreshold", srmThreshold, 0, 1);
  const power = policy.power ?? 0.8;
  requireOpenInterval("policy.power", power, 0, 1);
  if (policy.tau2 !== undefined) requirePositive("policy.tau2", policy.tau2);
  return { control, treatment, minSamplePerArm, srmThreshold, power, tau2: policy.tau2 };
}
