/**
 * Where a prediction and its outcome meet on Cosmos DB. The outcome's terms are stored on the
 * prediction document as numeric fields (zero until an outcome meets it), so the A/B aggregate
 * is a plain COUNT/SUM; whichever of the two is written second folds the outcome in.
 */
import type { OutcomeRecord, PredictionRecord } from "@mlops/contracts";
import { outcomeTerms } from "../terms.js";
import { type CosmosCore, stripMeta } from "./documents.js";

/** Outcome terms as numeric fields on the prediction document, zero until an outcome meets it. */
interface TermFields {
  t_has: 0 | 1;
  t_correct: number;
  t_vhas: 0 | 1;
  t_value: number;
  t_value_sq: number;
  t_lhas: 0 | 1;
  t_ll: number;
}

/**
 * A stored prediction log; `o_has`, `outcome` and `outcome_timestamp` once joined. Documents
 * written before assignments were recorded have neither `assignment` nor `challenger_weight`.
 */
export type PredictionDoc = Omit<PredictionRecord, "assignment" | "challenger_weight"> &
  Partial<Pick<PredictionRecord, "assignment" | "challenger_weight">> &
  TermFields & {
    id: string;
    is_error: 0 | 1;
    o_has?: 1;
    outcome?: string | number;
    outcome_timestamp?: number;
  };

const NO_TERMS: TermFields = {
  t_has: 0,
  t_correct: 0,
  t_vhas: 0,
  t_value: 0,
  t_value_sq: 0,
  t_lhas: 0,
  t_ll: 0,
};

/** The document of a prediction not yet joined. */
export function toPredictionDoc(r: PredictionRecord): PredictionDoc {
  return { ...r, id: r.request_id, is_error: r.status === "error" ? 1 : 0, ...NO_TERMS };
}

function withOutcome(doc: PredictionDoc, outcome: OutcomeRecord): PredictionDoc {
  const terms = outcomeTerms(doc, outcome.outcome);
  const fields: TermFields =
    terms === null
      ? NO_TERMS
      : {
          t_has: terms.correct === null ? 0 : 1,
          t_correct: terms.correct ?? 0,
          t_vhas: terms.value === null ? 0 : 1,
          t_value: terms.value ?? 0,
          t_value_sq: terms.value === null ? 0 : terms.value * terms.value,
          t_lhas: terms.logLoss === null ? 0 : 1,
          t_ll: terms.logLoss ?? 0,
        };
  return {
    ...doc,
    ...fields,
    o_has: 1,
    outcome: outcome.outcome,
    outcome_timestamp: outcome.timestamp,
  };
}

/** Folds an outcome into its prediction document, if that is stored and not yet joined. */
export function outcomeJoiner(core: CosmosCore): (outcome: OutcomeRecord) => Promise<void> {
  const { read, replaceIfMatch, lostRaces } = core;
  const container = core.containers.predictions;
  return async (outcome) => {
    for (let race = 1; ; race++) {
      lostRaces(race, `join outcome ${outcome.request_id}`);
      const current = await read<PredictionDoc>(
        container,
        outcome.request_id,
        outcome.request_id,
        "read prediction",
      );
      if (current === null || current.doc.o_has === 1) return;
      const next = withOutcome(stripMeta(current.doc), outcome);
      if (
        await replaceIfMatch(
          container,
          next,
          current.etag as string,
          outcome.request_id,
          "join outcome",
        )
      )
        return;
    }
  };
}
