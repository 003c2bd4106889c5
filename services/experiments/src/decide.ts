/**
 * The promotion decision: compare the challenger with the champion on the experiment's primary
 * metric with the always-valid mSPRT (so the pipeline may decide after every run), check the
 * guardrails and the traffic split, and say promote, rollback, continue or invalid with every
 * number behind it.
 */
import {
  type Decision,
  type DecisionKind,
  type Experiment,
  type GuardrailMetric,
  type JsonValue,
  MAX_TEXT,
  type PrimaryMetric,
} from "@mlops/contracts";
import { ExperimentsInputError } from "./errors.js";
import { summarize } from "./moments.js";
import { mdeMeans } from "./power.js";
import { msprtMeans, type SequentialResult } from "./sequential.js";
import { DEFAULT_SRM_THRESHOLD, type SrmResult, srmTest } from "./srm.js";
import {
  type LiftResult,
  relativeLift,
  type WelchResult,
  welchTTestFromSummary,
} from "./two-sample.js";
import type { SampleSummary } from "./types.js";
import {
  requireClosedInterval,
  requireCount,
  requireOpenInterval,
  requirePositive,
} from "./validate.js";
import { metricMoments, type VariantMetrics } from "./variant-metrics.js";

/** Which way is better for each primary metric. */
export const PRIMARY_METRIC_DIRECTION: Readonly<Record<PrimaryMetric, "higher" | "lower">> = {
  accuracy: "higher",
  log_loss: "lower",
  outcome_mean: "higher",
};

/** How the decision is taken; every field has a default. */
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
}

/** The primary comparison, treatment − control. */
export interface PrimaryEvidence {
  readonly metric: PrimaryMetric;
  readonly better: "higher" | "lower";
  readonly control: SampleSummary;
  readonly treatment: SampleSummary;
  /** Always-valid p-value and confidence sequence: what the decision uses. */
  readonly sequential: SequentialResult;
  /** Fixed-horizon Welch test, for reference only (not valid under repeated looks). */
  readonly welch: WelchResult;
  /** Relative lift with a fixed-horizon interval, for reference; null when the control mean is 0. */
  readonly lift: LiftResult | null;
  /** Smallest |difference| detectable now at the experiment's alpha and the policy's power. */
  readonly mde: number;
}

/** One guardrail: is the treatment worse than the control by more than allowed? */
export interface GuardrailEvidence {
  readonly metric: GuardrailMetric;
  readonly maxRelativeIncrease: number;
  readonly controlMean: number;
  readonly treatmentMean: number;
  /** The largest allowed increase in the metric's units: maxRelativeIncrease × control mean. */
  readonly limit: number;
  /** Always-valid interval for treatment − control; null when both arms are constant. */
  readonly ci: [number, number] | null;
  /**
   * `breach`: the whole interval lies above the limit; `ok`: the estimate is within it;
   * `inconclusive`: the estimate is above the limit but the interval still reaches below.
   */
  readonly status: "ok" | "breach" | "inconclusive";
}

/** The decision with every number behind it. */
export interface DecisionResult {
  readonly decision: DecisionKind;
  /** The arms compared: `control` serves now, `treatment` may replace it. */
  readonly arms: { readonly control: string; readonly treatment: string };
  /** Readable sentences, most important first. */
  readonly reasons: string[];
  readonly srm: SrmResult | null;
  readonly primary: PrimaryEvidence | null;
  readonly guardrails: GuardrailEvidence[];
}

interface Arms {
  readonly control: VariantMetrics;
  readonly treatment: VariantMetrics;
}

const fmt = (x: number): string => String(Number(x.toPrecision(4)));
const fmtCi = ([lo, hi]: readonly [number, number]): string => `[${fmt(lo)}, ${fmt(hi)}]`;

function checkPolicy(input: DecisionInput, policy: DecisionPolicy) {
  const control = policy.control ?? "champion";
  const treatment = policy.treatment ?? "challenger";
  const names = input.experiment.variants.map((v) => v.name);
  for (const [field, name] of [
    ["policy.control", control],
    ["policy.treatment", treatment],
  ] as const) {
    if (!names.includes(name)) {
      throw new ExperimentsInputError(
        "UNKNOWN_VARIANT",
        field,
        `must name a variant of experiment ${input.experiment.id} (${names.join(", ")}), got ${name}`,
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
  const minSamplePerArm = policy.minSamplePerArm ?? 100;
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
  const previousPValue = input.previousPValue ?? 1;
  requireClosedInterval("previousPValue", previousPValue, 0, 1);
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
  return { control, treatment, minSamplePerArm, srmThreshold, power, previousPValue };
}

type Verdict = (
  decision: DecisionKind,
  reasons: string[],
  srm: SrmResult | null,
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

/** SRM over the arms with traffic weight; a zero-weight arm that received traffic is a mismatch. */
function checkSplit(
  input: DecisionInput,
  byName: ReadonlyMap<string, VariantMetrics>,
  threshold: number,
): { srm: SrmResult | null; problem: string | null } {
  const weighted = input.experiment.variants.filter((v) => v.weight > 0);
  for (const v of input.experiment.variants) {
    const n = byName.get(v.name)!.latency.n;
    if (v.weight === 0 && n > 0) {
      return {
        srm: null,
        problem: `sample ratio mismatch: ${v.name} has weight 0 but ${n} predictions`,
      };
    }
  }
  const counts = weighted.map((v) => byName.get(v.name)!.latency.n);
  if (counts.reduce((s, c) => s + c, 0) === 0) {
    return { srm: null, problem: "missing data: no predictions recorded for any variant" };
  }
  const srm = srmTest(
    counts,
    weighted.map((v) => v.weight),
    { threshold },
  );
  const split = weighted.map((v, i) => `${v.name} ${counts[i]} (weight ${v.weight})`).join(", ");
  return {
    srm,
    problem: srm.mismatch
      ? `sample ratio mismatch: ${split}; chi² = ${fmt(srm.chi2)}, p = ${fmt(srm.pValue)} < ${threshold}`
      : null,
  };
}

/**
 * One guardrail, or null while either arm has fewer than `minSample` observations of it. The
 * limit is relative to the control, so a control with a zero error rate allows no increase: any
 * challenger errors keep the guardrail above its limit (never `ok`) until the evidence settles it.
 */
function checkGuardrail(
  metric: GuardrailMetric,
  maxRelativeIncrease: number,
  arms: Arms,
  alpha: number,
  minSample: number,
): GuardrailEvidence | null {
  const c = metricMoments(arms.control, metric)!;
  const t = metricMoments(arms.treatment, metric)!;
  if (c.n < minSample || t.n < minSample) return null;
  const control = summarize(c);
  const treatment = summarize(t);
  const limit = maxRelativeIncrease * control.mean;
  const diff = treatment.mean - control.mean;
  const base = {
    metric,
    maxRelativeIncrease,
    controlMean: control.mean,
    treatmentMean: treatment.mean,
    limit,
  };
  if (control.variance === 0 && treatment.variance === 0) {
    // Both arms constant: the difference is known exactly.
    return { ...base, ci: null, status: diff > limit ? "breach" : "ok" };
  }
  const { ci } = msprtMeans(control, treatment, { alpha });
  const status = ci[0] > limit ? "breach" : diff <= limit ? "ok" : "inconclusive";
  return { ...base, ci, status };
}

function describeGuardrail(g: GuardrailEvidence, arms: Arms): string {
  const band = g.ci === null ? "exact" : `always-valid CI ${fmtCi(g.ci)}`;
  return (
    `${g.metric}: ${arms.treatment.variant} ${fmt(g.treatmentMean)} vs ${arms.control.variant} ` +
    `${fmt(g.controlMean)} (diff ${fmt(g.treatmentMean - g.controlMean)}, ${band}; allowed +${fmt(g.limit)})`
  );
}

/**
 * Decide an experiment at this look.
 *
 * - `invalid`: an arm has no statistics, the primary metric's variance is unknown, or the traffic
 *   split does not match the weights (SRM): nothing else can be trusted.
 * - `rollback`: a guardrail is breached (its always-valid interval lies wholly above the allowed
 *   increase), or the challenger is significantly worse on the primary metric.
 * - `promote`: the challenger is significantly better on the primary metric (always-valid p ≤ the
 *   experiment's alpha, estimate in the better direction) and every guardrail is within its limit.
 * - `continue`: otherwise (not enough data, not significant, or a guardrail still undecided).
 *
 * Throws `ExperimentsInputError` when the policy names arms the experiment does not have.
 */
export function decide(input: DecisionInput, policy: DecisionPolicy = {}): DecisionResult {
  const p = checkPolicy(input, policy);
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
  const { srm, problem } = checkSplit(input, byName, p.srmThreshold);
  if (problem !== null) return verdict("invalid", [problem], srm);

  const arms: Arms = { control: byName.get(p.control)!, treatment: byName.get(p.treatment)! };
  const metric = input.experiment.primary_metric;
  const c = metricMoments(arms.control, metric);
  const t = metricMoments(arms.treatment, metric);
  if (c === null || t === null) {
    return verdict(
      "invalid",
      [`missing data: the variance of ${metric} is not available from this source`],
      srm,
    );
  }

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
    if (evidence === null) {
      reasons.push(
        `${g.metric}: fewer than ${p.minSamplePerArm} observations in an arm, not yet checked`,
      );
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
  if (control.variance === 0 && treatment.variance === 0) {
    reasons.unshift(`not enough data: ${metric} has not varied in either arm yet`);
    return verdict("continue", reasons, srm, null, guardrails);
  }

  const better = PRIMARY_METRIC_DIRECTION[metric];
  const sequential = msprtMeans(control, treatment, {
    alpha,
    previousPValue: p.previousPValue,
    ...(policy.tau2 === undefined ? {} : { tau2: policy.tau2 }),
  });
  const primary: PrimaryEvidence = {
    metric,
    better,
    control,
    treatment,
    sequential,
    welch: welchTTestFromSummary(control, treatment, { confidence: 1 - alpha }),
    lift: control.mean === 0 ? null : relativeLift(control, treatment, { confidence: 1 - alpha }),
    mde: mdeMeans(
      control.n,
      treatment.n,
      Math.sqrt(control.variance),
      Math.sqrt(treatment.variance),
      {
        alpha,
        power: p.power,
      },
    ),
  };
  const improved = better === "higher" ? sequential.diff > 0 : sequential.diff < 0;
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

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The key of a decision's evidence that carries the running always-valid p-value. */
export const PRIMARY_P_VALUE_KEY = "primary_p_value";

/**
 * The append-only decision record of a result. Evidence holds every number (non-finite values
 * become null, as JSON has no NaN); `primary_p_value` is what the next look passes back as
 * `previousPValue`.
 */
export function toDecisionRecord(
  result: DecisionResult,
  meta: { readonly id: string; readonly experimentId: string; readonly decidedAt: number },
): Decision {
  const evidence = JSON.parse(
    JSON.stringify({
      [PRIMARY_P_VALUE_KEY]: result.primary?.sequential.pValue ?? null,
      arms: result.arms,
      srm: result.srm,
      primary: result.primary,
      guardrails: result.guardrails,
    }),
  ) as Record<string, JsonValue>;
  return {
    id: meta.id,
    experiment_id: meta.experimentId,
    decision: result.decision,
    // The record caps reasons at MAX_TEXT; the numbers stay whole in the evidence.
    reason: truncate(result.reasons.join("; "), MAX_TEXT),
    evidence,
    decided_at: meta.decidedAt,
  };
}

/**
 * The running always-valid p-value of an experiment's decisions (oldest first): the newest one
 * recorded, or 1 before any look computed one (looks with too little data record none).
 */
export function previousPValueOf(decisions: readonly Decision[]): number {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const p = decisions[i]!.evidence[PRIMARY_P_VALUE_KEY];
    if (typeof p === "number" && p >= 0 && p <= 1) return p;
  }
  return 1;
}
