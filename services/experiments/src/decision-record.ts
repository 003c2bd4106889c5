/**
 * A decision as the store keeps it (append-only, one record per look), and what the next look
 * reads back from the records: the running always-valid p-value.
 */
import { type Decision, type JsonValue, MAX_TEXT } from "@mlops/contracts";
import type { DecisionResult } from "./decide.js";

/** The key of a decision's evidence that carries the running always-valid p-value. */
export const PRIMARY_P_VALUE_KEY = "primary_p_value";

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

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
