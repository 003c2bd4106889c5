/**
 * Prediction logs on SQLite: one row per request id (`INSERT OR IGNORE`, so a retried batch
 * never duplicates), covered by an index on (experiment, variant, ts, request id, …) that makes
 * the per-variant aggregate one range scan and gives joined pairs in order by keyset paging.
 * A batch goes in with multi-row INSERTs and one query for the outcomes that came first.
 * With a writer thread, writes and aggregates run there (prediction-writer.ts).
 */
import type {
  AggregateQuery,
  Assignment,
  AssignmentGroup,
  JoinedPair,
  PredictionRecord,
  VariantAggregate,
  VariantUnits,
} from "@mlops/contracts";
import { groupAssignments, windowBounds } from "../shared.js";
import type { JoinedQuery, PredictionRepository, WriteResult } from "../store.js";
import { check } from "../validate.js";
import type { Row, SqliteCore, Statement } from "./connection.js";
import { outcomeJoin, outcomeValue, probabilitiesOf, statusOf } from "./outcome-join.js";
import type { PredictionWriter } from "./prediction-writer.js";

/** Joined pairs read per page. */
const PAGE = 10_000;

/** The columns a log record is written to, in the order its values are bound. */
const INSERT_COLUMNS = `request_id, experiment_id, variant, ts, is_error, latency_ms, model_name,
  model_version, user_id, prediction, probabilities, assignment, challenger_weight`;
const COLUMN_COUNT = INSERT_COLUMNS.split(",").length;
/**
 * Most records one INSERT writes. Each statement run from JavaScript has a fixed cost (about
 * 1.5 µs of CPU a record when run record by record, measured on a busy 2-core machine); 64 rows
 * bind 832 values, far below SQLite's limit (32,766 in better-sqlite3's build). The rest of a
 * batch goes in powers of two, so at most seven statements are ever prepared.
 */
const ROWS_PER_INSERT = 64;

/** One variant's rows in a window, by named parameters. */
const NAMED_RANGE =
  "experiment_id = @experiment AND variant = @variant AND ts >= @from AND ts < @to";

/**
 * The reads of the A/B analysis, each one range of the covering index `predictions_aggregate`
 * per variant (no table lookups: tested against SQLite's query plan), and the joined pairs.
 */
export const PREDICTION_READS = {
  // Each numeric metric's sums are about @latency, @outcome and @log_loss: 0 for the plain sums,
  // one of the metric's own values for the centered ones (`AggregateQuery.centered`).
  aggregate: `SELECT COUNT(*) AS count, TOTAL(is_error) AS error_count,
       TOTAL(latency_ms - @latency) AS latency_sum,
       TOTAL((latency_ms - @latency) * (latency_ms - @latency)) AS latency_sum_sq,
       COUNT(t_correct) AS outcome_count, TOTAL(t_correct) AS correct_count,
       COUNT(t_value) AS outcome_value_count, TOTAL(t_value - @outcome) AS outcome_sum,
       TOTAL((t_value - @outcome) * (t_value - @outcome)) AS outcome_sum_sq,
       COUNT(t_logloss) AS log_loss_count, TOTAL(t_logloss - @log_loss) AS log_loss_sum,
       TOTAL((t_logloss - @log_loss) * (t_logloss - @log_loss)) AS log_loss_sum_sq
     FROM predictions
     WHERE ${NAMED_RANGE}`,
  // The values the centered sums are about: each metric's first in the window, in the index.
  shifts: `SELECT
       (SELECT latency_ms FROM predictions WHERE ${NAMED_RANGE} LIMIT 1) AS latency,
       (SELECT t_value FROM predictions WHERE ${NAMED_RANGE} AND t_value IS NOT NULL LIMIT 1)
         AS outcome,
       (SELECT t_logloss FROM predictions WHERE ${NAMED_RANGE} AND t_logloss IS NOT NULL LIMIT 1)
         AS log_loss`,
  // One row per unit: a user, or a row without one (a user-hash split hashes its request id).
  // Each unit's numeric sums are about @outcome and @log_loss (0 for the plain terms).
  units: `SELECT COUNT(user_id) AS user_count, COUNT(*) AS unit_count,
       TOTAL(a_n > 0) AS accuracy_units, TOTAL(a_n * a_n) AS accuracy_unit_n_sq,
       TOTAL(a_s * a_n) AS accuracy_unit_sum_n, TOTAL(a_s * a_s) AS accuracy_unit_sum_sq,
       TOTAL(v_n > 0) AS outcome_units, TOTAL(v_n * v_n) AS outcome_unit_n_sq,
       TOTAL(v_s * v_n) AS outcome_unit_sum_n, TOTAL(v_s * v_s) AS outcome_unit_sum_sq,
       TOTAL(l_n > 0) AS log_loss_units, TOTAL(l_n * l_n) AS log_loss_unit_n_sq,
       TOTAL(l_s * l_n) AS log_loss_unit_sum_n, TOTAL(l_s * l_s) AS log_loss_unit_sum_sq
     FROM (SELECT user_id, COUNT(t_correct) AS a_n, TOTAL(t_correct) AS a_s,
         COUNT(t_value) AS v_n, TOTAL(t_value - @outcome) AS v_s,
         COUNT(t_logloss) AS l_n, TOTAL(t_logloss - @log_loss) AS l_s
       FROM predictions
       WHERE ${NAMED_RANGE}
       GROUP BY user_id, IIF(user_id IS NULL, request_id, NULL))`,
  // Rows older than the assignment column count as unknown.
  assignments: `SELECT COALESCE(assignment, 'unknown') AS assignment, challenger_weight,
       COUNT(*) AS count, COUNT(DISTINCT user_id) + COUNT(*) - COUNT(user_id) AS units,
       MIN(ts) AS first, MAX(ts) AS last
     FROM predictions
     WHERE experiment_id = ? AND variant = ? AND ts >= ? AND ts < ?
     GROUP BY 1, 2`,
  // user_id is the index's last column (migration 4), so this and the distinct users above read
  // the index alone: 6M logs took 7.4 s with a table lookup per row, 2.7 s from the index.
  usersInSeveralArms: `SELECT COUNT(*) AS n FROM (
       SELECT user_id FROM predictions
       WHERE experiment_id = ? AND variant IN (SELECT value FROM json_each(?))
         AND ts >= ? AND ts < ? AND user_id IS NOT NULL
       GROUP BY user_id HAVING COUNT(DISTINCT variant) > 1)`,
  // Keyset paging on (ts, request_id): each page is an index range, whatever the offset.
  joinedPage: `SELECT p.request_id, p.variant, p.ts, p.prediction, p.probabilities, p.latency_ms,
       p.is_error, o.label AS o_label, o.value AS o_value, o.ts AS o_ts
     FROM predictions p JOIN outcomes o ON o.request_id = p.request_id
     WHERE p.experiment_id = ? AND p.variant = ? AND p.ts < ? AND (p.ts, p.request_id) > (?, ?)
     ORDER BY p.ts, p.request_id LIMIT ?`,
} as const;

/** The prediction repository over `core`; with `writer`, writes and aggregates run there. */
export function sqlitePredictions(
  core: SqliteCore,
  writer: PredictionWriter | undefined,
): PredictionRepository {
  const { guard, sql } = core;
  const join = outcomeJoin(core);
  const p = {
    aggregate: sql<Row>(PREDICTION_READS.aggregate),
    shifts: sql<Row>(PREDICTION_READS.shifts),
    units: sql<Row>(PREDICTION_READS.units),
    assignments: sql<Row>(PREDICTION_READS.assignments),
    usersInSeveralArms: sql<Row>(PREDICTION_READS.usersInSeveralArms),
    joinedPage: sql<Row>(PREDICTION_READS.joinedPage),
  };

  /** `INSERT OR IGNORE` of `rows` records (a power of two), prepared on first use. */
  const inserts = new Map<number, Statement<Row>>();
  const insertOf = (rows: number): Statement<Row> => {
    let statement = inserts.get(rows);
    if (statement === undefined) {
      const row = `(${Array(COLUMN_COUNT).fill("?").join(", ")})`;
      statement = sql(
        `INSERT OR IGNORE INTO predictions (${INSERT_COLUMNS}) VALUES ${Array(rows).fill(row).join(", ")}`,
      );
      inserts.set(rows, statement);
    }
    return statement;
  };

  const insertMany = core.immediate((records: readonly PredictionRecord[]): WriteResult => {
    // An outcome may arrive before its prediction is logged (the log is asynchronous): found for
    // the whole batch in one query, before its rows go in, so only those not logged before count.
    const early = join.waiting(records.map((rec) => rec.request_id));
    let inserted = 0;
    for (let from = 0; from < records.length; ) {
      const rows = rowsPerInsert(records.length - from);
      // Rows of one statement go in in order: of two with one request id, the first is kept.
      inserted += insertOf(rows).run(insertValues(records, from, from + rows)).changes;
      from += rows;
    }
    for (const outcome of early) {
      // Not stored before the batch, so what is stored now is the batch's record for the id.
      // Read back, the first of it if the batch repeats the id (INSERT OR IGNORE keeps that).
      const stored = join.prediction(outcome.request_id);
      if (stored !== null) join.applyTerms(stored, outcome.outcome);
    }
    return { inserted };
  });

  async function* iterateJoined(input: JoinedQuery): AsyncGenerator<JoinedPair> {
    const query = check.joinedQuery(input);
    const { from, to } = windowBounds(query.window);
    // Pages, so no statement stays open while the consumer awaits between pairs.
    let after: [number, string] = [from, ""];
    for (;;) {
      const rows = guard(() =>
        p.joinedPage.all(query.experiment_id, query.variant, to, after[0], after[1], PAGE),
      );
      for (const row of rows) {
        yield {
          request_id: row.request_id as string,
          variant: row.variant as string,
          timestamp: row.ts as number,
          prediction: row.prediction as string | null,
          probabilities: probabilitiesOf(row),
          latency_ms: row.latency_ms as number,
          status: statusOf(row),
          outcome: outcomeValue(row.o_label, row.o_value),
          outcome_timestamp: row.o_ts as number,
        };
      }
      if (rows.length < PAGE) return;
      const last = rows[rows.length - 1] as Row;
      after = [last.ts as number, last.request_id as string];
    }
  }

  /** The configurations that assigned the query's predictions, counted per variant. */
  /** Each numeric metric's first value in `range`, 0 where it has none (see `CenteredSums`). */
  const shiftsOf = (range: Range): Shifts => {
    const row = p.shifts.get(range) as Row;
    const of = (m: keyof Shifts) => (row[m] as number | null) ?? 0;
    return { latency: of("latency"), outcome: of("outcome"), log_loss: of("log_loss") };
  };

  const assignments = (query: AggregateQuery): AssignmentGroup[] => {
    const parsed = check.aggregateQuery(query);
    const { from, to } = windowBounds(parsed.window);
    return groupAssignments(
      parsed.variants,
      parsed.variants.flatMap((variant) =>
        p.assignments.all(parsed.experiment_id, variant, from, to).map((row) => ({
          variant,
          assignment: row.assignment as Assignment,
          challenger_weight: row.challenger_weight as number | null,
          count: row.count as number,
          units: row.units as number,
          first: row.first as number,
          last: row.last as number,
        })),
      ),
    );
  };

  const usersInSeveralArms = (query: AggregateQuery): number => {
    const parsed = check.aggregateQuery(query);
    const { from, to } = windowBounds(parsed.window);
    const row = p.usersInSeveralArms.get(
      parsed.experiment_id,
      JSON.stringify(parsed.variants),
      from,
      to,
    ) as Row;
    return row.n as number;
  };

  return {
    // The writer thread checks the records itself, off the caller's event loop.
    insertMany: async (records) =>
      writer ? writer.insertMany(records) : insertMany(check.predictions(records)),
    insertValidated: async (records) =>
      writer ? writer.insertValidated(records) : insertMany(records),
    get: async (requestId) => guard(() => join.prediction(requestId)),
    // On the writer thread where there is one: a busy hour's aggregate takes ~100 ms.
    aggregate: async (query) =>
      writer
        ? writer.aggregate(query)
        : guard(() => {
            const parsed = check.aggregateQuery(query);
            const { from, to } = windowBounds(parsed.window);
            return parsed.variants.map((variant) => {
              const range = { experiment: parsed.experiment_id, variant, from, to };
              const row = p.aggregate.get({ ...range, ...UNSHIFTED }) as Row;
              // The SQL aliases are the VariantAggregate keys.
              const plain = { variant, ...row } as VariantAggregate;
              if (parsed.centered !== true) return plain;
              const about = shiftsOf(range);
              const c = p.aggregate.get({ ...range, ...about }) as Row;
              const sums = (m: keyof Shifts) => ({
                shift: about[m],
                sum: c[`${m}_sum`] as number,
                sum_sq: c[`${m}_sum_sq`] as number,
              });
              return {
                ...plain,
                centered: {
                  latency: sums("latency"),
                  outcome: sums("outcome"),
                  log_loss: sums("log_loss"),
                },
              };
            });
          }),
    units: async (query) =>
      writer
        ? writer.units(query)
        : guard(() => {
            const parsed = check.aggregateQuery(query);
            const { from, to } = windowBounds(parsed.window);
            return parsed.variants.map((variant) => {
              const range = { experiment: parsed.experiment_id, variant, from, to };
              const row = p.units.get({ ...range, ...UNSHIFTED }) as Row;
              // The SQL aliases are the VariantUnits keys.
              const plain = { variant, ...row } as VariantUnits;
              if (parsed.centered !== true) return plain;
              const about = shiftsOf(range);
              const c = p.units.get({ ...range, ...about }) as Row;
              const sums = (m: "outcome" | "log_loss") => ({
                shift: about[m],
                sum_n: c[`${m}_unit_sum_n`] as number,
                sum_sq: c[`${m}_unit_sum_sq`] as number,
              });
              return {
                ...plain,
                centered: { outcome: sums("outcome"), log_loss: sums("log_loss") },
              };
            });
          }),
    // Reads over the experiment's rows, on the writer thread like the aggregate.
    assignments: async (query) =>
      writer ? writer.assignments(query) : guard(() => assignments(query)),
    usersInSeveralArms: async (query) =>
      writer ? writer.usersInSeveralArms(query) : guard(() => usersInSeveralArms(query)),
    joined: (query: JoinedQuery) => iterateJoined(query),
  };
}

/** One variant's rows in a window (`NAMED_RANGE`'s parameters). */
interface Range {
  readonly experiment: string;
  readonly variant: string;
  readonly from: number;
  readonly to: number;
}

/** What each numeric metric's sums are taken about (`PREDICTION_READS.aggregate` and `.units`). */
interface Shifts {
  readonly latency: number;
  readonly outcome: number;
  readonly log_loss: number;
}

/** The plain sums: about 0. */
const UNSHIFTED: Shifts = { latency: 0, outcome: 0, log_loss: 0 };

/** Records the next insert writes when `left` remain: a power of two, at most ROWS_PER_INSERT. */
function rowsPerInsert(left: number): number {
  let rows = ROWS_PER_INSERT;
  while (rows > left) rows >>= 1;
  return rows;
}

/** The values `records[from..to)` bind to a multi-row insert, row after row. */
function insertValues(records: readonly PredictionRecord[], from: number, to: number): unknown[] {
  const values: unknown[] = [];
  for (let i = from; i < to; i++) {
    const rec = records[i] as PredictionRecord;
    values.push(
      rec.request_id,
      rec.experiment_id,
      rec.variant,
      rec.timestamp,
      rec.status === "error" ? 1 : 0,
      rec.latency_ms,
      rec.model_name,
      rec.model_version,
      rec.user_id,
      rec.prediction,
      rec.probabilities === null ? null : JSON.stringify(rec.probabilities),
      rec.assignment,
      rec.challenger_weight,
    );
  }
  return values;
}
