/**
 * The promotion decision: compare the challenger with the champion on the experiment's primary
 * metric with the always-valid mSPRT (so the pipeline may decide after every run), check the
 * guardrails (guardrails.ts) and the traffic split, and say promote, rollback, continue or
 * invalid with every number behind it. The policy is checked in decision-policy.ts; the record
 * kept in the store is made in decision-record.ts.
 */
import type { AssignmentReport, DecisionKind, Experiment, PrimaryMetric } from "@mlops/contracts";
import { clusteredSummary, type UnitSums } from "./clustered.js";
import { type DecisionPolicy, resolvePolicy } from "./decision-policy.js";
import { ExperimentsInputError } from "./errors.js";
import { formatNumber as fmt, formatInterval as fmtCi } from "./format.js";
import {
  type Arms,
  checkGuardrail,
  describeGuardrail,
  type GuardrailEvidence,
} from "./guardrails.js";
import { armsWithoutVariance, LOST_VARIANCE, summarize } from "./moments.js";
import { alwaysValidMde, defaultTau2, msprtMeans, type SequentialResult } from "./sequential.js";
import { type SrmResult, srmTest } from "./srm.js";
import {
  type LiftResult,
  relativeLift,
  type WelchResult,
  welchTTestFromSummary,
} from "./two-sample.js";
import type { SampleSummary } from "./types.js";
import { requireClosedInterval, requireCount } from "./validate.js";
import { metricMoments, type VariantMetrics } from "./variant-metrics.js";

/** Which way is better for each primary metric. */
export const PRIMARY_METRIC_DIRECTION: Readonly<Record<PrimaryMetric, "higher" | "lower">> = {
  accuracy: "higher",
  log_loss: "lower",
  outcome_mean: "higher",
};

/** What the decision reads. */
export interface DecisionInput {
  /** The experiment definition (arms, weights, metric, guardrails, alpha). */
  readonly experiment: Pick<
    Experiment,
    "id" | "variants" | "primary_metric" | "guardrails" | "alpha"
  >;
  /** Sufficient statistics of each arm. */
  readonly metrics: readonly VariantMetrics[];
  /**
   * The primary metric's always-valid p-value at the previous look (`primary_p_value` of the last
   * decision's evidence), so the running minimum survives between runs. Default 1.
   */
  readonly previousPValue?: number;
  /**
   * The direction the test settled on at an earlier look (`primary_settled_sign` of the last
   * decision's evidence): once the running p-value has reached alpha, which arm is better was
   * decided at that look, and a later estimate drifting across 0 does not reverse it.
   */
  readonly previousSettledSign?: 1 | -1 | null;
  /**
   * Randomisation units per arm when the unit is the user (a user-hash split): distinct users,
   * plus each prediction without a user id (hashed by its request id). The split is checked on
   * them, since one user's requests all land on one arm; without them it is checked on
   * predictions, the unit of a per-request split.
   */
  readonly units?: Readonly<Record<string, number>>;
  /**
   * The primary metric's per-unit sums per arm under a user-hash split (`unitSumsOf`). With
   * them the tests use its cluster-robust variance and count users as the sample: a user's
   * observations are correlated, and treating them as independent makes the tests reject a true
   * null far more often than alpha.
   */
  readonly primaryUnits?: Readonly<Record<string, UnitSums>>;
}

/** The sample-ratio check with what it counted: users (see `DecisionInput.units`) or predictions. */
export interface SplitCheck extends SrmResult {
  readonly unit: "user" | "prediction";
  /** Observed count per weighted arm, in the experiment's order of arms. */
  readonly counts: readonly number[];
}

/** The primary comparison, treatment − control. */
export interface PrimaryEvidence {
  readonly metric: PrimaryMetric;
  readonly better: "higher" | "lower";
  /** Per-observation summaries of the arms. */
  readonly control: SampleSummary;
  readonly treatment: SampleSummary;
  /**
   * What the tests treat as independent: each observation, or each user (with
   * `DecisionInput.primaryUnits`: a cluster-robust variance, and users as the sample size).
   */
  readonly independent: "observation" | "user";
  /**
   * The summaries the tests read: `control` and `treatment` where observations are independent;
   * per user where users are (`clusteredSummary`: n users, variance / n the cluster-robust
   * Var(mean)).
   */
  readonly tested: { readonly control: SampleSummary; readonly treatment: SampleSummary };
  /** Always-valid p-value and confidence sequence: what the decision uses. */
  readonly sequential: SequentialResult;
  /**
   * The sign of treatment − control the test has settled on: the previous looks' if they had,
   * else this look's estimate's once the running p-value reaches alpha; null until then.
   */
  readonly settledSign: 1 | -1 | null;
  /** Fixed-horizon Welch test, for reference only (not valid under repeated looks). */
  readonly welch: WelchResult;
  /** Relative lift with a fixed-horizon interval, for reference; null when the control mean is 0. */
  readonly lift: LiftResult | null;
  /**
   * Smallest true |difference| this look's always-valid test detects with the policy's power, at
   * the experiment's alpha ({@link alwaysValidMde}).
   */
  readonly mde: number;
}

/** The decision with every number behind it. */
export interface DecisionResult {
  readonly decision: DecisionKind;
  /** The arms compared: `control` serves now, `treatment` may replace it. */
  readonly arms: { readonly control: string; readonly treatment: string };
  /** Readable sentences, most important first. */
  readonly reasons: string[];
  readonly srm: SplitCheck | null;
  readonly primary: PrimaryEvidence | null;
  readonly guardrails: GuardrailEvidence[];
  /**
   * The assignment period the statistics came from (`analyzeExperiment` sets it): its
   * configuration (`gateway-weight@10`) and start. The running p-value carries only within it.
   */
  readonly period?: PeriodRef | null;
  /** What assigned the data (`analyzeExperiment` sets it), kept with the decision's evidence. */
  readonly assignment?: AssignmentReport | null;
}

/** An assignment period as decisions record it. */
export interface PeriodRef {
  readonly key: string;
  readonly from: number;
}

/**
 * Input checks beyond the policy's: a p-value in [0, 1], one statistics entry per variant, and
 * with `units` a whole count for every variant.
 */
function checkInput(input: DecisionInput): number {
  const previousPValue = input.previousPValue ?? 1;
  requireClosedInterval("previousPValue", previousPValue, 0, 1);
  for (const [field, perArm] of [
    ["units", input.units],
    ["primaryUnits", input.primaryUnits],
  ] as const) {
    if (perArm === undefined) continue;
    for (const v of input.experiment.variants) {
      if (perArm[v.name] === undefined) {
        throw new ExperimentsInputError(
          "UNKNOWN_VARIANT",
          `${field}.${v.name}`,
          "must be given for every variant of the experiment",
        );
      }
    }
  }
  for (const [arm, n] of Object.entries(input.units ?? {})) requireCount(`units.${arm}`, n);
  const seen = new Set<string>();
  for (const [i, m] of input.metrics.entries()) {
    if (seen.has(m.variant)) {
      throw new ExperimentsInputError(
        "UNKNOWN_VARIANT",
        `metrics[${i}].variant`,
        `must be unique, got ${m.variant} twice`,
      );
    }
    seen.add(m.variant);
  }
  return previousPValue;
}

type Verdict = (
  decision: DecisionKind,
  reasons: string[],
  srm: SplitCheck | null,
  primary?: PrimaryEvidence | null,
  guardrails?: GuardrailEvidence[],
) => DecisionResult;

function verdictFor(arms: DecisionResult["arms"]): Verdict {
  return (decision, reasons, srm, primary = null, guardrails = []) => ({
    decision,
    arms,
    reasons,
    srm,
    primary,
    guardrails,
  });
}

/** The sign of a difference; null for 0, which favours neither arm. */
function signOf(x: number): 1 | -1 | null {
  return x > 0 ? 1 : x < 0 ? -1 : null;
}

/**
 * SRM over the arms with traffic weight, counting users where they are the unit and predictions
 * otherwise; a zero-weight arm that received traffic is a mismatch.
 */
function checkSplit(
  input: DecisionInput,
  byName: ReadonlyMap<string, VariantMetrics>,
  threshold: number,
): { srm: SplitCheck | null; problem: string | null; noData?: true } {
  const weighted = input.experiment.variants.filter((v) => v.weight > 0);
  if (weighted.length < 2) {
    const only = weighted.map((v) => v.name).join(", ") || "no arm";
    return { srm: null, problem: `no comparison: only ${only} has a positive weight` };
  }
  const { units } = input;
  const unit = units === undefined ? "prediction" : "user";
  const countOf = (arm: string): number => units?.[arm] ?? byName.get(arm)!.latency.n;
  for (const v of input.experiment.variants) {
    const n = countOf(v.name);
    if (v.weight === 0 && n > 0) {
      return {
        srm: null,
        problem: `sample ratio mismatch: ${v.name} has weight 0 but ${n} ${unit}s`,
      };
    }
  }
  const counts = weighted.map((v) => countOf(v.name));
  // Nothing served yet (an experiment just deployed) is too early to judge, not a broken split.
  if (counts.reduce((s, c) => s + c, 0) === 0) return { srm: null, problem: null, noData: true };
  const srm = {
    ...srmTest(
      counts,
      weighted.map((v) => v.weight),
      { threshold },
    ),
    unit,
    counts,
  } as const;
  const noun = unit === "user" ? " users" : "";
  const split = weighted
    .map((v, i) => `${v.name} ${counts[i]}${noun} (weight ${v.weight})`)
    .join(", ");
  return {
    srm,
    problem: srm.mismatch
      ? `sample ratio mismatch: ${split}; chi² = ${fmt(srm.chi2)}, p = ${fmt(srm.pValue)} < ${threshold}`
      : null,
  };
}

/**
 * Why no test is run when an arm's variance is NaN at n ≥ 2: its sums could not resolve it
 * (`lostToCancellation`); null when every arm has one. `kind` qualifies the variance ("per-user ").
 */
function lostVariance(
  metric: PrimaryMetric,
  kind: string,
  ...arms: readonly (readonly [string, SampleSummary])[]
): string | null {
  const lost = armsWithoutVariance(arms);
  if (lost.length === 0) return null;
  return `missing data: ${metric} has no ${kind}variance in ${lost.join(" and ")}: ${LOST_VARIANCE}; no test is run on it`;
}

/**
 * Decide an experiment at this look.
 *
 * - `invalid`: an arm has no statistics, the primary metric's variance is unknown (lost to
 *   rounding in the store's sums), or the traffic split does not match the weights (SRM): nothing
 *   else can be trusted.
 * - `rollback`: a guardrail is breached (its always-valid interval lies wholly above the allowed
 *   increase), or the challenger is significantly worse on the primary metric.
 * - `promote`: the challenger is significantly better on the primary metric (always-valid p ≤ the
 *   experiment's alpha, estimate in the better direction) and every guardrail is within its limit.
 * - `continue`: otherwise (not enough data, not significant, or a guardrail still undecided).
 *
 * Throws `ExperimentsInputError` when the policy names arms the experiment does not have.
 */
export function decide(input: DecisionInput, policy: DecisionPolicy = {}): DecisionResult {
  const p = { ...resolvePolicy(policy, input.experiment), previousPValue: checkInput(input) };
  const verdict = verdictFor({ control: p.control, treatment: p.treatment });
  const alpha = input.experiment.alpha;
  const byName = new Map(input.metrics.map((m) => [m.variant, m]));
  const missing = input.experiment.variants.filter((v) => !byName.has(v.name)).map((v) => v.name);
  if (missing.length > 0) {
    return verdict(
      "invalid",
      [`missing data: no statistics for variant ${missing.join(", ")}`],
      null,
    );
  }
  const { srm, problem, noData } = checkSplit(input, byName, p.srmThreshold);
  if (noData) {
    return verdict(
      "continue",
      ["not enough data: no predictions recorded yet for any variant"],
      null,
    );
  }
  if (problem !== null) return verdict("invalid", [problem], srm);

  const arms: Arms = { control: byName.get(p.control)!, treatment: byName.get(p.treatment)! };
  const metric = input.experiment.primary_metric;
  const c = metricMoments(arms.control, metric);
  const t = metricMoments(arms.treatment, metric);

  const guardrails: GuardrailEvidence[] = [];
  const reasons: string[] = [];
  for (const g of input.experiment.guardrails) {
    const evidence = checkGuardrail(
      g.metric,
      g.max_relative_increase,
      arms,
      alpha,
      p.minSamplePerArm,
    );
    if ("unchecked" in evidence) {
      reasons.push(`${g.metric}: ${evidence.unchecked}`);
      continue;
    }
    guardrails.push(evidence);
    if (evidence.status === "breach")
      reasons.push(`guardrail breached: ${describeGuardrail(evidence, arms)}`);
  }
  if (guardrails.some((g) => g.status === "breach"))
    return verdict("rollback", reasons, srm, null, guardrails);

  if (c.n < p.minSamplePerArm || t.n < p.minSamplePerArm) {
    reasons.unshift(
      `not enough data: ${metric} has ${c.n} observations in ${p.control} and ${t.n} in ${p.treatment}, ` +
        `${p.minSamplePerArm} needed per arm`,
    );
    return verdict("continue", reasons, srm, null, guardrails);
  }
  const control = summarize(c);
  const treatment = summarize(t);
  const lost = lostVariance(metric, "", [p.control, control], [p.treatment, treatment]);
  if (lost !== null) {
    reasons.unshift(lost);
    return verdict("invalid", reasons, srm, null, guardrails);
  }
  // What the tests read: per observation, or with users as the sample (clustered.ts).
  const byUser = input.primaryUnits;
  const [a, b] =
    byUser === undefined
      ? [control, treatment]
      : [
          clusteredSummary(c, byUser[p.control] as UnitSums),
          clusteredSummary(t, byUser[p.treatment] as UnitSums),
        ];
  if (a.n < 2 || b.n < 2) {
    reasons.unshift(
      `not enough data: ${metric} comes from ${a.n} users in ${p.control} and ${b.n} in ${p.treatment}, 2 needed per arm`,
    );
    return verdict("continue", reasons, srm, null, guardrails);
  }
  const lostPerUser = lostVariance(metric, "per-user ", [p.control, a], [p.treatment, b]);
  if (lostPerUser !== null) {
    reasons.unshift(lostPerUser);
    return verdict("invalid", reasons, srm, null, guardrails);
  }
  if (a.variance === 0 && b.variance === 0) {
    reasons.unshift(`not enough data: ${metric} has not varied in either arm yet`);
    return verdict("continue", reasons, srm, null, guardrails);
  }

  const better = PRIMARY_METRIC_DIRECTION[metric];
  const sequential = msprtMeans(a, b, {
    alpha,
    previousPValue: p.previousPValue,
    // τ is in per-observation standard deviations whatever the variance treats as independent.
    tau2: p.tau2 ?? defaultTau2(control.variance, treatment.variance),
  });
  const settledSign = sequential.rejected
    ? (input.previousSettledSign ?? signOf(sequential.diff))
    : null;
  const primary: PrimaryEvidence = {
    metric,
    better,
    control,
    treatment,
    independent: byUser === undefined ? "observation" : "user",
    tested: { control: a, treatment: b },
    sequential,
    settledSign,
    welch: welchTTestFromSummary(a, b, { alpha }),
    lift: control.mean === 0 ? null : relativeLift(a, b, { alpha }),
    mde: alwaysValidMde(sequential, p.power),
  };
  const improved = better === "higher" ? settledSign === 1 : settledSign === -1;
  const summary =
    `${metric}: ${p.treatment} ${fmt(treatment.mean)} vs ${p.control} ${fmt(control.mean)} ` +
    `(diff ${fmt(sequential.diff)}, always-valid ${fmt(100 * (1 - alpha))}% CI ${fmtCi(sequential.ci)}), ` +
    `always-valid p = ${fmt(sequential.pValue)}`;

  if (!sequential.rejected) {
    reasons.unshift(
      `not significant yet: ${summary} > alpha ${alpha}; detectable difference now ${fmt(primary.mde)}`,
    );
    return verdict("continue", reasons, srm, primary, guardrails);
  }
  if (settledSign === null) {
    reasons.unshift(
      `not decided: the always-valid p-value reached alpha at an earlier look whose direction was not recorded, and this look's difference is 0 (${summary})`,
    );
    return verdict("continue", reasons, srm, primary, guardrails);
  }
  if (signOf(sequential.diff) !== settledSign) {
    reasons.push(
      `the direction was settled at an earlier look, where the always-valid p-value reached alpha; this look's difference (${fmt(sequential.diff)}) has crossed 0 since`,
    );
  }
  if (!improved) {
    reasons.unshift(`${p.treatment} is significantly worse: ${summary} ≤ alpha ${alpha}`);
    return verdict("rollback", reasons, srm, primary, guardrails);
  }
  const undecided = guardrails.filter((g) => g.status === "inconclusive");
  if (undecided.length > 0 || guardrails.length < input.experiment.guardrails.length) {
    reasons.unshift(
      `${p.treatment} is significantly better (${summary}) but a guardrail is undecided`,
    );
    for (const g of undecided)
      reasons.push(`guardrail above its limit, not yet conclusive: ${describeGuardrail(g, arms)}`);
    return verdict("continue", reasons, srm, primary, guardrails);
  }
  reasons.unshift(`${p.treatment} is significantly better: ${summary} ≤ alpha ${alpha}`);
  for (const g of guardrails)
    reasons.push(`guardrail within its limit: ${describeGuardrail(g, arms)}`);
  return verdict("promote", reasons, srm, primary, guardrails);
}
