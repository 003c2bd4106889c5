/**
 * Guardrails of a promotion decision: is the treatment worse than the control on a guardrail
 * metric (error rate, latency, …) by more than the experiment allows? Judged with the same
 * always-valid intervals as the primary metric, so it may be checked at every look.
 */
import type { GuardrailMetric } from "@mlops/contracts";
import { formatInterval, formatNumber } from "./format.js";
import { armsWithoutVariance, LOST_VARIANCE, summarize } from "./moments.js";
import { msprtMeans } from "./sequential.js";
import { metricMoments, type VariantMetrics } from "./variant-metrics.js";

/** The two arms compared: `control` serves now, `treatment` may replace it. */
export interface Arms {
  readonly control: VariantMetrics;
  readonly treatment: VariantMetrics;
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

/** Why a guardrail was not judged at this look. */
export interface UncheckedGuardrail {
  readonly unchecked: string;
}

/**
 * One guardrail, or why it is not checked yet: either arm has fewer than `minSample`
 * observations of it, or its variance is lost to rounding in the store's sums. The
 * limit is relative to the control, so a control with a zero error rate allows no increase: any
 * challenger errors keep the guardrail above its limit (never `ok`) until the evidence settles it.
 */
export function checkGuardrail(
  metric: GuardrailMetric,
  maxRelativeIncrease: number,
  arms: Arms,
  alpha: number,
  minSample: number,
): GuardrailEvidence | UncheckedGuardrail {
  const c = metricMoments(arms.control, metric);
  const t = metricMoments(arms.treatment, metric);
  if (c.n < minSample || t.n < minSample) {
    return { unchecked: `fewer than ${minSample} observations in an arm, not yet checked` };
  }
  const control = summarize(c);
  const treatment = summarize(t);
  const lost = armsWithoutVariance([
    [arms.control.variant, control],
    [arms.treatment.variant, treatment],
  ]);
  if (lost.length > 0) {
    return { unchecked: `no variance in ${lost.join(" and ")}, not checked: ${LOST_VARIANCE}` };
  }
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

/** The guardrail's numbers as one sentence for the decision's reasons. */
export function describeGuardrail(g: GuardrailEvidence, arms: Arms): string {
  const band = g.ci === null ? "exact" : `always-valid CI ${formatInterval(g.ci)}`;
  return (
    `${g.metric}: ${arms.treatment.variant} ${formatNumber(g.treatmentMean)} vs ${arms.control.variant} ` +
    `${formatNumber(g.controlMean)} (diff ${formatNumber(g.treatmentMean - g.controlMean)}, ${band}; allowed +${formatNumber(g.limit)})`
  );
}
