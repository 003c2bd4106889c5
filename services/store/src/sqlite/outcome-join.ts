/**
 * Where a prediction and its outcome meet on SQLite. An outcome may arrive before its prediction
 * is logged (the log is asynchronous), so whichever of the two is written second stores the
 * outcome's terms (`t_*`) on the prediction's row; the A/B aggregate is then one range scan.
 * Also how those rows read back as records.
 */
import type { Assignment, OutcomeRecord, PredictionRecord } from "@mlops/contracts";
import { outcomeTerms } from "../terms.js";
import type { Row, SqliteCore } from "./connection.js";

/** Both tables' rows by request id, and the terms stored when they meet. */
export interface OutcomeJoin {
  prediction(requestId: string): PredictionRecord | null;
  outcome(requestId: string): OutcomeRecord | null;
  /**
   * The outcomes stored for any of `requestIds` whose prediction is not stored yet (each once):
   * outcomes that arrived first wait there for their prediction to be logged.
   */
  waiting(requestIds: readonly string[]): OutcomeRecord[];
  /** Store the terms of `outcome` on the prediction's row (nothing if the outcome has none). */
  applyTerms(prediction: PredictionRecord, outcome: string | number): void;
}

/** The join over `core`'s `predictions` and `outcomes` tables. */
export function outcomeJoin(core: SqliteCore): OutcomeJoin {
  const prediction = core.sql<Row>("SELECT * FROM predictions WHERE request_id = ?");
  const outcome = core.sql<StoredOutcome>("SELECT * FROM outcomes WHERE request_id = ?");
  // One query per batch. A primary-key probe per id; DISTINCT (an id listed twice) and the
  // predictions probe touch only the ids that have an outcome, which are few.
  const waiting = core.sql<StoredOutcome>(
    `SELECT DISTINCT o.* FROM json_each(?) j JOIN outcomes o ON o.request_id = j.value
     WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.request_id = o.request_id)`,
  );
  const setTerms = core.sql(
    "UPDATE predictions SET t_correct = ?, t_value = ?, t_logloss = ? WHERE request_id = ?",
  );
  return {
    prediction: (requestId) => {
      const row = prediction.get(requestId);
      return row === undefined ? null : toPrediction(row);
    },
    outcome: (requestId) => {
      const row = outcome.get(requestId);
      return row === undefined ? null : toOutcome(row);
    },
    waiting: (requestIds) => waiting.all(JSON.stringify(requestIds)).map(toOutcome),
    applyTerms: (record, value) => {
      const terms = outcomeTerms(record, value);
      if (terms !== null)
        setTerms.run(terms.correct, terms.value, terms.logLoss, record.request_id);
    },
  };
}

/** A row of the `outcomes` table. */
interface StoredOutcome {
  request_id: string;
  label: string | null;
  value: number | null;
  ts: number;
}

function toOutcome(row: StoredOutcome): OutcomeRecord {
  return {
    request_id: row.request_id,
    outcome: outcomeValue(row.label, row.value),
    timestamp: row.ts,
  };
}

function toPrediction(row: Row): PredictionRecord {
  return {
    request_id: row.request_id as string,
    experiment_id: row.experiment_id as string,
    variant: row.variant as string,
    model_name: row.model_name as string,
    model_version: row.model_version as number,
    user_id: row.user_id as string | null,
    prediction: row.prediction as string | null,
    probabilities: probabilitiesOf(row),
    latency_ms: row.latency_ms as number,
    status: statusOf(row),
    timestamp: row.ts as number,
    assignment: (row.assignment as Assignment | null) ?? "unknown",
    challenger_weight: row.challenger_weight as number | null,
  };
}

/** An outcome as stored: a label, or a number. */
export function outcomeValue(label: unknown, value: unknown): string | number {
  return (value === null ? label : value) as string | number;
}

export function probabilitiesOf(row: Row): PredictionRecord["probabilities"] {
  return row.probabilities === null ? null : JSON.parse(row.probabilities as string);
}

export function statusOf(row: Row): PredictionRecord["status"] {
  return row.is_error === 1 ? "error" : "ok";
}
