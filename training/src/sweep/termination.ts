import { OptionError, requirePositiveInteger } from "../errors.js";

/** Whether larger or smaller values of the primary metric are better. */
export type Goal = "maximize" | "minimize";

/** When a policy looks at a trial: every `evaluationInterval`-th report from `delayEvaluation` on. */
export interface PolicySchedule {
  /** @default 1 */
  evaluationInterval?: number;
  /** @default 0 */
  delayEvaluation?: number;
}

/**
 * Azure ML's early-termination policies. A trial's k-th report of the primary metric is its
 * interval k. Exactly one of `slackFactor` and `slackAmount` for Bandit.
 */
export type TerminationPolicy =
  | ({ kind: "bandit"; slackFactor?: number; slackAmount?: number } & PolicySchedule)
  | ({ kind: "median" } & PolicySchedule)
  | ({
      kind: "truncation";
      truncationPercentage: number;
      excludeFinishedJobs?: boolean;
    } & PolicySchedule);

/** The primary-metric reports of one trial so far. */
export interface TrialHistory {
  readonly id: string;
  /** `values[k − 1]` is the value reported at interval k. */
  readonly values: readonly number[];
  /** Whether the trial has completed (used by truncation's `excludeFinishedJobs`). */
  readonly finished: boolean;
}

/** A policy's verdict on one trial at one interval, with the reason recorded on the run. */
export interface TerminationDecision {
  readonly terminate: boolean;
  readonly reason: string;
}

/** Checks a policy's options; throws {@link OptionError} naming the option. */
export function checkPolicy(policy: TerminationPolicy): void {
  const { evaluationInterval = 1, delayEvaluation = 0 } = policy;
  requirePositiveInteger("evaluationInterval", evaluationInterval);
  if (!Number.isInteger(delayEvaluation) || delayEvaluation < 0) {
    throw new OptionError("delayEvaluation", "must be an integer ≥ 0", delayEvaluation);
  }
  if (policy.kind === "bandit") {
    const { slackFactor, slackAmount } = policy;
    if ((slackFactor === undefined) === (slackAmount === undefined)) {
      throw new OptionError("slackFactor", "or slackAmount must be given, not both", {
        slackFactor,
        slackAmount,
      });
    }
    const [name, value] =
      slackFactor === undefined ? ["slackAmount", slackAmount] : ["slackFactor", slackFactor];
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
      throw new OptionError(name, "must be a finite number > 0", value);
    }
  } else if (policy.kind === "truncation") {
    const p = policy.truncationPercentage;
    if (!Number.isInteger(p) || p < 1 || p > 99) {
      throw new OptionError("truncationPercentage", "must be an integer in [1, 99]", p);
    }
  } else if (policy.kind !== "median") {
    throw new OptionError(
      "kind",
      'must be "bandit", "median" or "truncation"',
      (policy as { kind: unknown }).kind,
    );
  }
}

/** Whether the policy is applied at `interval`: a multiple of the evaluation interval ≥ the delay. */
export function isEvaluatedAt(policy: TerminationPolicy, interval: number): boolean {
  const { evaluationInterval = 1, delayEvaluation = 0 } = policy;
  return interval >= Math.max(1, delayEvaluation) && interval % evaluationInterval === 0;
}

/**
 * Applies a policy to trial `id` at `interval` (which that trial has reported, perhaps with more
 * since), comparing it only with what the trials reported up to that interval, so no trial is
 * judged by another's later values. Trials that have not reached `interval` take no part.
 *
 * - Bandit: with Y the trial's best value so far and B the best of every trial's best so far,
 *   stop if Y·(1 + slackFactor) < B, or Y < B − slackAmount (maximizing; mirrored when
 *   minimizing: Y > B·(1 + slackFactor), Y > B + slackAmount).
 * - Median: stop if the trial's best value so far is worse than the median of the trials'
 *   running averages over intervals 1..interval.
 * - Truncation: rank the trials by their value at `interval`; stop if the trial is among the
 *   worst ⌊count · truncationPercentage / 100⌋ (ties: the earlier trial in `trials` ranks worse).
 */
export function decide(
  policy: TerminationPolicy,
  goal: Goal,
  trials: readonly TrialHistory[],
  id: string,
  interval: number,
): TerminationDecision {
  checkPolicy(policy);
  const trial = trials.find((t) => t.id === id);
  if (!trial || trial.values.length < interval) {
    throw new OptionError("interval", `must be an interval trial ${id} has reported`, interval);
  }
  if (!isEvaluatedAt(policy, interval)) {
    return {
      terminate: false,
      reason: `interval ${interval} is not evaluated by the ${policy.kind} policy`,
    };
  }
  const better = (a: number, b: number) => (goal === "maximize" ? a > b : a < b);
  const bestUpTo = (t: TrialHistory) =>
    t.values.slice(0, interval).reduce((best, v) => (better(v, best) ? v : best));
  const peers = trials.filter((t) => t.values.length >= interval);
  const own = bestUpTo(trial);
  const fmt = (x: number) => x.toPrecision(6);

  if (policy.kind === "bandit") {
    const best = peers.map(bestUpTo).reduce((b, v) => (better(v, b) ? v : b));
    const sign = goal === "maximize" ? 1 : -1;
    const terminate =
      policy.slackFactor !== undefined
        ? goal === "maximize"
          ? own * (1 + policy.slackFactor) < best
          : own > best * (1 + policy.slackFactor)
        : sign * (best - own) > policy.slackAmount!;
    const slack =
      policy.slackFactor !== undefined
        ? `slack factor ${policy.slackFactor}`
        : `slack amount ${policy.slackAmount}`;
    return {
      terminate,
      reason: `bandit at interval ${interval}: best so far ${fmt(own)} vs the leading ${fmt(best)} with ${slack}: ${terminate ? "outside" : "within"} the slack`,
    };
  }

  if (policy.kind === "median") {
    const averages = peers
      .map((t) => t.values.slice(0, interval).reduce((s, v) => s + v, 0) / interval)
      .sort((a, b) => a - b);
    const mid = averages.length >> 1;
    const median =
      averages.length % 2 === 1 ? averages[mid] : (averages[mid - 1] + averages[mid]) / 2;
    const terminate = better(median, own);
    return {
      terminate,
      reason: `median at interval ${interval}: best so far ${fmt(own)} ${terminate ? "is worse than" : "is not worse than"} the median running average ${fmt(median)} of ${averages.length} trials`,
    };
  }

  const ranked = peers
    .filter((t) => t === trial || !(policy.excludeFinishedJobs && t.finished))
    .map((t, order) => ({ t, order, value: t.values[interval - 1] }))
    .sort((a, b) =>
      better(b.value, a.value) ? -1 : better(a.value, b.value) ? 1 : a.order - b.order,
    );
  const cut = Math.floor((ranked.length * policy.truncationPercentage) / 100);
  const rank = ranked.findIndex((r) => r.t === trial);
  const terminate = rank < cut;
  return {
    terminate,
    reason: `truncation at interval ${interval}: ranks ${rank + 1} of ${ranked.length} from the worst; the worst ${cut} (${policy.truncationPercentage}%) are stopped`,
  };
}
