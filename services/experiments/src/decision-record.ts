/**
 * A decision as the store keeps it (append-only, one record per look), and what the next look
 * reads back from the records: the running always-valid p-value.
 */
import { type Decision, type Experiment, type JsonValue, MAX_TEXT } from "@mlops/contracts";
import type { DecisionResult, PeriodRef } from "./decide.js";

/** The key of a decision's evidence that carries the running always-valid p-value. */
export const PRIMARY_P_VALUE_KEY = "primary_p_value";
/**
 * The key of a decision's evidence that carries the direction the always-valid test settled on:
 * the sign of the difference (treatment − control) at the look whose running p-value first
 * reached alpha, then kept; null before.
 */
export const PRIMARY_SETTLED_SIGN_KEY = "primary_settled_sign";
/** The key of a decision's evidence that names the assignment period it read. */
export const PERIOD_KEY = "period";

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The append-only decision record of a result on `meta.experiment`. It names the arms judged
 * (each variant's name and model, as the experiment defines them) so a release can refuse it for
 * other models. Evidence holds every number (non-finite values become null, as JSON has no NaN);
 * `primary_p_value` and `primary_settled_sign` are what the next look passes back as
 * `previousPValue` and `previousSettledSign`.
 */
export function toDecisionRecord(
  result: DecisionResult,
  meta: {
    readonly id: string;
    readonly experiment: Pick<Experiment, "id" | "variants">;
    readonly decidedAt: number;
  },
): Decision {
  const evidence = JSON.parse(
    JSON.stringify({
      [PRIMARY_P_VALUE_KEY]: result.primary?.sequential.pValue ?? null,
      [PRIMARY_SETTLED_SIGN_KEY]: result.primary?.settledSign ?? null,
      [PERIOD_KEY]: result.period ?? null,
      assignment: result.assignment ?? null,
      arms: result.arms,
      srm: result.srm,
      primary: result.primary,
      guardrails: result.guardrails,
    }),
  ) as Record<string, JsonValue>;
  return {
    id: meta.id,
    experiment_id: meta.experiment.id,
    decision: result.decision,
    variants: meta.experiment.variants.map(({ name, model }) => ({ name, model })),
    // The record caps reasons at MAX_TEXT; the numbers stay whole in the evidence.
    reason: truncate(result.reasons.join("; "), MAX_TEXT),
    evidence,
    decided_at: meta.decidedAt,
  };
}

/**
 * Whether a decision's recorded period is `period`. Decisions that name none were made before
 * periods were recorded, over data of unknown assignment: they count for an `unknown` period.
 */
function samePeriod(recorded: JsonValue | undefined, period: PeriodRef | null): boolean {
  if (recorded === null || recorded === undefined || typeof recorded !== "object") {
    return period === null || period.key === "unknown";
  }
  const r = recorded as Record<string, JsonValue>;
  return period !== null && r.key === period.key && r.from === period.from;
}

/** What the next look carries over from the previous ones of the same period. */
export interface PreviousLooks {
  /** The running always-valid p-value, 1 before any look computed one. */
  readonly pValue: number;
  /** The direction the test settled on, null until it rejected (or recorded before it kept one). */
  readonly settledSign: 1 | -1 | null;
}

/**
 * What an experiment's decisions (oldest first) on `period` carry to the next look: the newest
 * running p-value and settled direction recorded for it (looks with too little data record
 * none). A new period starts again at 1 with no direction: its data is another sequence of
 * observations.
 */
export function previousLooksOf(
  decisions: readonly Decision[],
  period: PeriodRef | null = null,
): PreviousLooks {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const { evidence } = decisions[i]!;
    const p = evidence[PRIMARY_P_VALUE_KEY];
    if (!samePeriod(evidence[PERIOD_KEY], period)) continue;
    if (typeof p === "number" && p >= 0 && p <= 1) {
      const sign = evidence[PRIMARY_SETTLED_SIGN_KEY];
      return { pValue: p, settledSign: sign === 1 || sign === -1 ? sign : null };
    }
  }
  return { pValue: 1, settledSign: null };
}
