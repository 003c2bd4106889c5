/**
 * Reading the cumulative lift of an analysed experiment from a store: the primary metric of each
 * joined (prediction, outcome) pair of the two compared arms, in time order, replayed by
 * `liftPath` with the τ² the decision used.
 *
 * Where the decision counts users as the independent units (user-hash), its variance is the
 * cluster-robust one of clustered.ts. The joined pairs carry no user id, so a look cannot form
 * per-user sums; reading the store's per-unit sums at each of the 60 looks would group the whole
 * window again per look. Each look instead scales each arm's per-observation variance by that
 * arm's design effect over the whole period (`liftDesignEffects`): the last look's band is the
 * decision's interval, and an earlier look, where users have come back fewer times, gets a band at
 * least as wide as its own clustered one would be wherever the design effect grows with time (as
 * it does while the same users keep returning).
 */
import type { PrimaryMetric, TimeWindow } from "@mlops/contracts";
import { type OutcomeTerms, outcomeTerms, type Store } from "@mlops/store";
import type { Analysis } from "./analyze.js";
import { designEffect } from "./clustered.js";
import type { PrimaryEvidence } from "./decide.js";
import { type LiftPoint, liftPath, type TimedValue } from "./lift-path.js";

/** The value a pair contributes to each primary metric (null: it contributes nothing). */
const VALUE_OF: Readonly<Record<PrimaryMetric, (terms: OutcomeTerms) => number | null>> = {
  accuracy: (terms) => terms.correct,
  log_loss: (terms) => terms.logLoss,
  outcome_mean: (terms) => terms.value,
};

/** Options of `readLiftPath`. */
export interface LiftHistoryOptions {
  /** Looks at most (see `liftPath`). Default 60. */
  readonly points?: number;
  /**
   * No look before each arm has this many observations. Default 100, the decision's default
   * minimum: earlier bands are so wide that they would flatten the rest of the chart.
   */
  readonly minSamplePerArm?: number;
}

async function observationsOf(
  store: Pick<Store, "predictions">,
  experimentId: string,
  variant: string,
  metric: PrimaryMetric,
  window: TimeWindow | undefined,
): Promise<TimedValue[]> {
  const metricOf = VALUE_OF[metric];
  const out: TimedValue[] = [];
  const query = { experiment_id: experimentId, variant, ...(window ? { window } : {}) };
  for await (const pair of store.predictions.joined(query)) {
    const terms = outcomeTerms(pair, pair.outcome);
    const x = terms === null ? null : metricOf(terms);
    if (x !== null) out.push({ t: pair.timestamp, x });
  }
  return out;
}

/**
 * Each arm's factor on its per-observation variance that gives the variance the decision tested
 * (`PrimaryEvidence.tested`): 1 where observations are independent, the design effect where users
 * are.
 */
export function liftDesignEffects(primary: PrimaryEvidence): {
  readonly control: number;
  readonly treatment: number;
} {
  return {
    control: designEffect(primary.control, primary.tested.control),
    treatment: designEffect(primary.treatment, primary.tested.treatment),
  };
}

/**
 * The cumulative lift of `analysis`'s comparison over the predictions it read (its current
 * assignment period), with the band scaled by `liftDesignEffects`, or null when the decision
 * computed no primary comparison (too little data, SRM, missing data): without it there is no τ²
 * to replay with.
 */
export async function readLiftPath(
  store: Pick<Store, "predictions">,
  analysis: Analysis,
  opts: LiftHistoryOptions = {},
): Promise<LiftPoint[] | null> {
  const { experiment, result } = analysis;
  if (result.primary === null) return null;
  const [control, treatment] = await Promise.all(
    [result.arms.control, result.arms.treatment].map((arm) =>
      observationsOf(store, experiment.id, arm, experiment.primary_metric, analysis.window),
    ),
  );
  return liftPath(control!, treatment!, {
    tau2: result.primary.sequential.tau2,
    designEffect: liftDesignEffects(result.primary),
    alpha: experiment.alpha,
    minSamplePerArm: opts.minSamplePerArm ?? 100,
    ...(opts.points === undefined ? {} : { points: opts.points }),
  });
}
