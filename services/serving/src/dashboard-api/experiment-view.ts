/**
 * The experiment panel: the configured experiment analysed as `mlops ab analyze` would (the same
 * `analyzeExperiment` and `decide`, without recording anything), the observed split against the
 * configured weights, the primary metric per arm with an interval, and the cumulative lift with
 * its always-valid band replayed from the store.
 */

import type { PrimaryMetric } from "@mlops/contracts";
import {
  analyzeExperiment,
  DEFAULT_SRM_THRESHOLD,
  ExperimentsInputError,
  liftDesignEffects,
  metricMoments,
  PRIMARY_METRIC_DIRECTION,
  readLiftPath,
  type SampleSummary,
  summarize,
} from "@mlops/experiments";
import type { Store } from "@mlops/store";
import quantile from "@stdlib/stats-base-dists-normal-quantile";
import type { ExperimentView } from "./schemas.js";

/** Looks of the cumulative-lift chart. */
const LIFT_POINTS = 60;

type Analysis = NonNullable<ExperimentView["analysis"]>;

/**
 * The interval of an arm's primary metric at level 1 − alpha, shown beside the bars; null while
 * n < 2 or while the variance is unknown (lost to rounding in the store's sums). Accuracy is a
 * proportion: its Wilson score interval, which stays within [0, 1] where the Wald interval
 * mean ± z·sd/√n overshoots at small n ([−0.48, 1.48] at n = 2) and shrinks to a point at 0 or 1.
 * Log loss is never negative: the Wald interval with its lower end at 0, as two-sample.ts bounds
 * its intervals to the range of what they estimate. A numeric outcome can be anything: the Wald
 * interval as it is.
 */
export function armInterval(
  metric: PrimaryMetric,
  { n, mean, variance }: SampleSummary,
  alpha: number,
): [number, number] | null {
  if (n < 2) return null;
  const z = quantile(1 - alpha / 2, 0, 1);
  if (metric === "accuracy") {
    const z2n = (z * z) / n;
    const scale = 1 + z2n;
    const center = (mean + z2n / 2) / scale;
    const half = (z * Math.sqrt((mean * (1 - mean)) / n + z2n / (4 * n))) / scale;
    // Exact arithmetic keeps it within [0, 1] and around the estimate; so must rounding (at 0, 1).
    return [Math.max(0, Math.min(mean, center - half)), Math.min(1, Math.max(mean, center + half))];
  }
  // Lost to rounding in the store's sums (momentsFromSums): no interval rather than a wrong one.
  if (Number.isNaN(variance)) return null;
  const half = z * Math.sqrt(variance / n);
  const lower = mean - half;
  return [metric === "log_loss" ? Math.max(0, lower) : lower, mean + half];
}

/** Reads and analyses experiment `experimentId` from `store`. */
export async function experimentView(
  store: Pick<Store, "experiments" | "predictions">,
  experimentId: string,
  now: number,
): Promise<ExperimentView> {
  let analysis: Awaited<ReturnType<typeof analyzeExperiment>>;
  try {
    analysis = await analyzeExperiment(store, experimentId);
  } catch (error) {
    if (error instanceof ExperimentsInputError && error.code === "UNKNOWN_EXPERIMENT") {
      return {
        experiment_id: experimentId,
        generated_at: now,
        analysis: null,
        message: `no experiment ${experimentId} is defined in the store`,
      };
    }
    throw error;
  }
  const { experiment, metrics, result } = analysis;
  const [lift, decisions] = await Promise.all([
    readLiftPath(store, analysis, { points: LIFT_POINTS }),
    store.experiments.decisions(experimentId),
  ]);
  const arms: Analysis["arms"] = experiment.variants.map((v) => {
    const m = metrics.find((x) => x.variant === v.name);
    const moments = m ? metricMoments(m, experiment.primary_metric) : null;
    const s = moments && moments.n > 0 ? summarize(moments) : null;
    return {
      variant: v.name,
      weight: v.weight,
      predictions: m?.latency.n ?? 0,
      n: s?.n ?? 0,
      mean: s?.mean ?? null,
      ci: s ? armInterval(experiment.primary_metric, s, experiment.alpha) : null,
    };
  });
  const primary = result.primary;
  const seq = primary?.sequential ?? null;
  const recorded = decisions.at(-1) ?? null;
  return {
    experiment_id: experimentId,
    generated_at: now,
    analysis: {
      state: experiment.state,
      primary_metric: experiment.primary_metric,
      better: PRIMARY_METRIC_DIRECTION[experiment.primary_metric],
      alpha: experiment.alpha,
      control: result.arms.control,
      treatment: result.arms.treatment,
      arms,
      srm: result.srm && {
        chi2: result.srm.chi2,
        p_value: result.srm.pValue,
        // The decision runs with the default policy, hence its threshold.
        threshold: DEFAULT_SRM_THRESHOLD,
        mismatch: result.srm.mismatch,
      },
      decision: {
        kind: result.decision,
        reasons: result.reasons,
        diff: seq?.diff ?? null,
        ci: seq?.ci ?? null,
        p_value: seq?.pValue ?? null,
      },
      lift: (lift ?? []).map((p) => ({
        observations: p.observations,
        diff: p.diff,
        ci: p.ci,
        p_value: p.pValue,
      })),
      lift_band: primary && {
        independent: primary.independent,
        design_effect: liftDesignEffects(primary),
      },
      recorded: recorded && {
        kind: recorded.decision,
        reason: recorded.reason,
        decided_at: recorded.decided_at,
      },
    },
    message: null,
  };
}
