/**
 * Prediction logs on Cosmos DB: one document per request id (the partition key, which spreads
 * the writes), bulk-created and idempotent by id. Aggregates are one cross-partition COUNT/SUM
 * query per variant; configurations are counted with COUNT/MIN/MAX queries (no GROUP BY); users
 * and units are read client-side; joined pairs are read in time order, ties by request id as on
 * SQLite.
 */

import type { SqlParameter } from "@azure/cosmos";
import {
  type AggregateQuery,
  type Assignment,
  AssignmentSchema,
  eachLimited,
  emptyUnits,
  type JoinedPair,
  type OutcomeRecord,
  type PredictionRecord,
  type VariantAggregate,
  type VariantUnits,
} from "@mlops/contracts";
import { type AssignmentCount, groupAssignments, windowBounds } from "../shared.js";
import type { JoinedQuery, PredictionRepository, WriteResult } from "../store.js";
import { check } from "../validate.js";
import { BULK_CHUNK, type CosmosCore, inChunks } from "./documents.js";
import { outcomeJoiner, type PredictionDoc, toPredictionDoc } from "./outcome-join.js";

function toRecord(doc: PredictionDoc): PredictionRecord {
  return {
    request_id: doc.request_id,
    experiment_id: doc.experiment_id,
    variant: doc.variant,
    model_name: doc.model_name,
    model_version: doc.model_version,
    user_id: doc.user_id,
    prediction: doc.prediction,
    probabilities: doc.probabilities,
    latency_ms: doc.latency_ms,
    status: doc.status,
    timestamp: doc.timestamp,
    // Documents written before assignments were recorded lack both fields.
    assignment: doc.assignment ?? "unknown",
    challenger_weight: doc.challenger_weight ?? null,
  };
}

/** Filters on one assignment; documents without the field count as unknown. */
const ASSIGNMENT_FILTER: Readonly<Record<Assignment, string>> = Object.fromEntries(
  AssignmentSchema.options.map((a) => [
    a,
    a === "unknown"
      ? `(NOT IS_DEFINED(c.assignment) OR c.assignment = "unknown")`
      : `c.assignment = "${a}"`,
  ]),
) as Record<Assignment, string>;

/** Count, time span and weight range of the documents a configuration filter matches. */
interface ConfigurationRow {
  n?: number;
  first?: number;
  last?: number;
  wmin?: number;
  wmax?: number;
}

/** The fields of a prediction document its unit's terms read. */
interface UnitDoc {
  user_id?: string | null;
  t_has?: number;
  t_correct?: number;
  t_vhas?: number;
  t_value?: number;
  t_lhas?: number;
  t_ll?: number;
}

/** The outcome metrics' per-unit terms, as `VariantUnits` names them. */
type UnitTerms = Omit<VariantUnits, "variant" | "user_count" | "unit_count">;

/** The metrics of `UnitTerms`, in the order `unitSums` keeps their (count, sum) pairs. */
const UNIT_METRICS = ["accuracy", "outcome", "log_loss"] as const;

function emptyUnitTerms(): UnitTerms {
  const { variant: _, user_count: __, unit_count: ___, ...zeros } = emptyUnits("");
  return zeros;
}

/** A unit's (count, sum) of each metric, then its numeric metrics' sums about their shifts. */
const UNIT_SLOTS = 8;
/** Where a unit's sums keep each numeric metric's sum about its shift. */
const CENTERED_SLOT = { outcome: 6, log_loss: 7 } as const;

/**
 * What the numeric metrics' centered unit terms are taken about: each one's first value read
 * (see `CenteredUnitSums`), set when it is read; documents before it have no value to shift.
 */
interface UnitShifts {
  outcome: number | undefined;
  log_loss: number | undefined;
}

/** Adds `doc`'s observations to a unit's sums (`UNIT_SLOTS`); returns `sums`. */
function unitSums(doc: UnitDoc, sums: Float64Array, shifts: UnitShifts): Float64Array {
  sums[0] += doc.t_has ?? 0;
  sums[1] += doc.t_correct ?? 0;
  sums[2] += doc.t_vhas ?? 0;
  sums[3] += doc.t_value ?? 0;
  sums[4] += doc.t_lhas ?? 0;
  sums[5] += doc.t_ll ?? 0;
  if (doc.t_vhas === 1) {
    shifts.outcome ??= doc.t_value ?? 0;
    sums[CENTERED_SLOT.outcome] += (doc.t_value ?? 0) - shifts.outcome;
  }
  if (doc.t_lhas === 1) {
    shifts.log_loss ??= doc.t_ll ?? 0;
    sums[CENTERED_SLOT.log_loss] += (doc.t_ll ?? 0) - shifts.log_loss;
  }
  return sums;
}

/** The numeric metrics' unit terms about their shifts, as they are summed. */
type CenteredTerms = Record<"outcome" | "log_loss", { sum_n: number; sum_sq: number }>;

/** Folds one unit's sums into the terms and the centered terms. */
function foldUnit(terms: UnitTerms, centered: CenteredTerms, sums: Float64Array): void {
  for (const [k, m] of UNIT_METRICS.entries()) {
    const n = sums[2 * k] as number;
    const s = sums[2 * k + 1] as number;
    if (n > 0) terms[`${m}_units`]++;
    terms[`${m}_unit_n_sq`] += n * n;
    terms[`${m}_unit_sum_n`] += s * n;
    terms[`${m}_unit_sum_sq`] += s * s;
    // Accuracy's 0/1 sums are exact: nothing to center.
    if (m === "accuracy") continue;
    const c = sums[CENTERED_SLOT[m]] as number;
    centered[m].sum_n += c * n;
    centered[m].sum_sq += c * c;
  }
}

/** The prediction repository over `core`. */
export function cosmosPredictions(core: CosmosCore): PredictionRepository {
  const { call, query, read, bulkCreate, concurrency } = core;
  const { predictions, outcomes } = core.containers;
  const join = outcomeJoiner(core);

  /** The window's filter on experiment, variant and time, with its parameters. */
  const scope = (experiment: string, variant: string, from: number, to: number) => ({
    text: `c.experiment_id = @experiment AND c.variant = @variant
           AND c.timestamp >= @from AND c.timestamp < @to`,
    parameters: [
      { name: "@experiment", value: experiment },
      { name: "@variant", value: variant },
      { name: "@from", value: from },
      { name: "@to", value: to },
    ],
  });

  /**
   * The documents `where` matches by unit (see `VariantUnits`): their distinct user ids, the
   * units a user-hash split randomises (those users, and each document without one) and the
   * outcome metrics' per-unit terms. Read client-side (the emulator has no GROUP BY or DISTINCT
   * subquery), holding each user's sums in memory.
   */
  async function unitsOf(what: string, where: string, parameters: SqlParameter[]) {
    const perUser = new Map<string, Float64Array>();
    const terms = emptyUnitTerms();
    const shifts: UnitShifts = { outcome: undefined, log_loss: undefined };
    const sums: CenteredTerms = {
      outcome: { sum_n: 0, sum_sq: 0 },
      log_loss: { sum_n: 0, sum_sq: 0 },
    };
    let anonymous = 0;
    for await (const doc of stream<UnitDoc>(
      what,
      `SELECT c.user_id, c.t_has, c.t_correct, c.t_vhas, c.t_value, c.t_lhas, c.t_ll
       FROM c WHERE ${where}`,
      parameters,
    )) {
      if (typeof doc.user_id !== "string") {
        anonymous++;
        foldUnit(terms, sums, unitSums(doc, new Float64Array(UNIT_SLOTS), shifts));
        continue;
      }
      const own = perUser.get(doc.user_id) ?? new Float64Array(UNIT_SLOTS);
      perUser.set(doc.user_id, unitSums(doc, own, shifts));
    }
    for (const own of perUser.values()) foldUnit(terms, sums, own);
    const centered = {
      outcome: { shift: shifts.outcome ?? 0, ...sums.outcome },
      log_loss: { shift: shifts.log_loss ?? 0, ...sums.log_loss },
    };
    return { users: perUser.size, units: perUser.size + anonymous, terms, centered };
  }

  /**
   * The numeric metrics' sums over `where` about each one's first value found (see
   * `CenteredSums`): documents without an outcome hold 0 in its terms and are weighted out.
   */
  async function centeredSums(of: string, where: { text: string; parameters: SqlParameter[] }) {
    const first = async (field: string, filter: string) => {
      const [value] = await query<number>(
        predictions,
        `first ${field} of ${of}`,
        `SELECT TOP 1 VALUE c.${field} FROM c WHERE ${where.text}${filter}`,
        where.parameters,
      );
      return value ?? 0;
    };
    const [latency, outcome, logLoss] = await Promise.all([
      first("latency_ms", ""),
      first("t_value", " AND c.t_vhas = 1"),
      first("t_ll", " AND c.t_lhas = 1"),
    ]);
    const [row] = await query<Record<string, number | undefined>>(
      predictions,
      `centered sums of ${of}`,
      `SELECT SUM(c.latency_ms - @kl) AS l, SUM((c.latency_ms - @kl) * (c.latency_ms - @kl)) AS l2,
         SUM(c.t_vhas * (c.t_value - @kv)) AS v,
         SUM(c.t_vhas * (c.t_value - @kv) * (c.t_value - @kv)) AS v2,
         SUM(c.t_lhas * (c.t_ll - @kll)) AS ll, SUM(c.t_lhas * (c.t_ll - @kll) * (c.t_ll - @kll)) AS ll2
       FROM c WHERE ${where.text}`,
      [
        ...where.parameters,
        { name: "@kl", value: latency },
        { name: "@kv", value: outcome },
        { name: "@kll", value: logLoss },
      ],
    );
    const v = (key: string) => row?.[key] ?? 0;
    return {
      latency: { shift: latency, sum: v("l"), sum_sq: v("l2") },
      outcome: { shift: outcome, sum: v("v"), sum_sq: v("v2") },
      log_loss: { shift: logLoss, sum: v("ll"), sum_sq: v("ll2") },
    };
  }

  /** A cross-partition query's results, read a page at a time (not held in memory). */
  async function* stream<T>(what: string, text: string, parameters: SqlParameter[]) {
    const iterator = predictions.items.query<T>(
      { query: text, parameters },
      { maxItemCount: 1000 },
    );
    while (iterator.hasMoreResults()) {
      const { resources } = await call(what, () => iterator.fetchNext());
      yield* resources;
    }
  }

  async function* iterateJoined(input: JoinedQuery): AsyncGenerator<JoinedPair> {
    const q = check.joinedQuery(input);
    const { from, to } = windowBounds(q.window);
    const where = scope(q.experiment_id, q.variant, from, to);
    const docs = stream<PredictionDoc>(
      "read joined pairs",
      `SELECT * FROM c WHERE ${where.text} AND c.o_has = 1 ORDER BY c.timestamp`,
      where.parameters,
    );
    // Ties on timestamp are ordered by request id, as on SQLite, before they are yielded.
    let tie: PredictionDoc[] = [];
    const flush = function* (): Generator<JoinedPair> {
      tie.sort((a, b) => a.request_id.localeCompare(b.request_id));
      for (const doc of tie) {
        yield {
          request_id: doc.request_id,
          variant: doc.variant,
          timestamp: doc.timestamp,
          prediction: doc.prediction,
          probabilities: doc.probabilities,
          latency_ms: doc.latency_ms,
          status: doc.status,
          outcome: doc.outcome as string | number,
          outcome_timestamp: doc.outcome_timestamp as number,
        };
      }
      tie = [];
    };
    for await (const doc of docs) {
      if (tie.length > 0 && (tie[0] as PredictionDoc).timestamp !== doc.timestamp) yield* flush();
      tie.push(doc);
    }
    yield* flush();
  }

  /**
   * One variant's counts per configuration without GROUP BY (the emulator lacks it, see
   * cosmos-layout): per assignment a COUNT/MIN/MAX query, and where the weights differ the range
   * is halved until each part holds one weight, so k weights cost O(k log 100) queries.
   */
  async function countsOf(
    experiment: string,
    variant: string,
    from: number,
    to: number,
  ): Promise<AssignmentCount[]> {
    const where = scope(experiment, variant, from, to);
    const filter = (assignment: Assignment) =>
      `${where.text} AND ${ASSIGNMENT_FILTER[assignment]}
       ${assignment === "unknown" ? "" : "AND c.challenger_weight >= @lo AND c.challenger_weight <= @hi"}`;
    const parameters = (lo: number, hi: number) => [
      ...where.parameters,
      { name: "@lo", value: lo },
      { name: "@hi", value: hi },
    ];
    const read = async (assignment: Assignment, lo: number, hi: number) => {
      const [row] = await query<ConfigurationRow>(
        predictions,
        `count ${experiment}/${variant} by ${assignment}`,
        `SELECT COUNT(1) AS n, MIN(c.timestamp) AS first, MAX(c.timestamp) AS last,
           MIN(c.challenger_weight) AS wmin, MAX(c.challenger_weight) AS wmax
         FROM c WHERE ${filter(assignment)}`,
        parameters(lo, hi),
      );
      return row ?? {};
    };
    const split = async (
      assignment: Assignment,
      lo: number,
      hi: number,
    ): Promise<AssignmentCount[]> => {
      const row = await read(assignment, lo, hi);
      if (!row.n) return [];
      const one = assignment === "unknown" || row.wmin === row.wmax;
      if (one) {
        const { units } = await unitsOf(
          `count users of ${experiment}/${variant} by ${assignment}`,
          filter(assignment),
          parameters(lo, hi),
        );
        return [
          {
            variant,
            assignment,
            challenger_weight: assignment === "unknown" ? null : (row.wmin as number),
            count: row.n,
            units,
            first: row.first as number,
            last: row.last as number,
          },
        ];
      }
      const mid = Math.floor(((row.wmin as number) + (row.wmax as number)) / 2);
      const parts = await Promise.all([
        split(assignment, row.wmin as number, mid),
        split(assignment, mid + 1, row.wmax as number),
      ]);
      return parts.flat();
    };
    const all = await Promise.all(AssignmentSchema.options.map((a) => split(a, 0, 100)));
    return all.flat();
  }

  /** Users seen on more than one variant: their (user, variant) pairs streamed, kept in memory. */
  async function usersInSeveralArms(input: AggregateQuery): Promise<number> {
    const q = check.aggregateQuery(input);
    const { from, to } = windowBounds(q.window);
    const pairs = stream<{ user_id: string; variant: string }>(
      "read users per arm",
      `SELECT c.user_id, c.variant FROM c
       WHERE c.experiment_id = @experiment AND ARRAY_CONTAINS(@variants, c.variant)
         AND c.timestamp >= @from AND c.timestamp < @to AND IS_STRING(c.user_id)`,
      [
        { name: "@experiment", value: q.experiment_id },
        { name: "@variants", value: q.variants },
        { name: "@from", value: from },
        { name: "@to", value: to },
      ],
    );
    const firstArm = new Map<string, string>();
    const several = new Set<string>();
    for await (const { user_id, variant } of pairs) {
      const arm = firstArm.get(user_id);
      if (arm === undefined) firstArm.set(user_id, variant);
      else if (arm !== variant) several.add(user_id);
    }
    return several.size;
  }

  /** Writes checked records, then joins the outcomes that arrived before them. */
  async function write(records: readonly PredictionRecord[]): Promise<WriteResult> {
    const docs = records.map(toPredictionDoc);
    const created = await bulkCreate(predictions, docs, "write prediction logs");
    // Outcomes that arrived before their prediction was logged are joined now.
    const fresh = docs.filter((d) => created.has(d.id));
    await inChunks(fresh, BULK_CHUNK, async (chunk) => {
      const early = await query<OutcomeRecord>(
        outcomes,
        "find early outcomes",
        "SELECT c.request_id, c.outcome, c.timestamp FROM c WHERE ARRAY_CONTAINS(@ids, c.request_id)",
        [{ name: "@ids", value: chunk.map((d) => d.id) }],
      );
      await eachLimited(early, concurrency, join);
    });
    return { inserted: created.size };
  }

  return {
    insertMany: async (records) => write(check.predictions(records)),
    insertValidated: write,
    get: async (requestId) => {
      const found = await read<PredictionDoc>(predictions, requestId, requestId, "read prediction");
      return found === null ? null : toRecord(found.doc);
    },
    aggregate: async (queryInput) => {
      const parsed = check.aggregateQuery(queryInput);
      const { from, to } = windowBounds(parsed.window);
      // One cross-partition aggregate per variant: no GROUP BY, which the emulator lacks.
      return Promise.all(
        parsed.variants.map(async (variant): Promise<VariantAggregate> => {
          const where = scope(parsed.experiment_id, variant, from, to);
          const [row] = await query<Record<string, number | undefined>>(
            predictions,
            `aggregate ${parsed.experiment_id}/${variant}`,
            `SELECT COUNT(1) AS count, SUM(c.is_error) AS error_count,
               SUM(c.latency_ms) AS latency_sum, SUM(c.latency_ms * c.latency_ms) AS latency_sum_sq,
               SUM(c.t_has) AS outcome_count, SUM(c.t_correct) AS correct_count,
               SUM(c.t_vhas) AS outcome_value_count, SUM(c.t_value) AS outcome_sum,
               SUM(c.t_value_sq) AS outcome_sum_sq, SUM(c.t_lhas) AS log_loss_count,
               SUM(c.t_ll) AS log_loss_sum, SUM(c.t_ll * c.t_ll) AS log_loss_sum_sq
             FROM c WHERE ${where.text}`,
            where.parameters,
          );
          // Over no documents SUM may be absent: it means 0.
          const v = (key: string) => row?.[key] ?? 0;
          const centered =
            parsed.centered === true
              ? await centeredSums(`${parsed.experiment_id}/${variant}`, where)
              : undefined;
          return {
            ...(centered ? { centered } : {}),
            variant,
            count: v("count"),
            error_count: v("error_count"),
            latency_sum: v("latency_sum"),
            latency_sum_sq: v("latency_sum_sq"),
            outcome_count: v("outcome_count"),
            correct_count: v("correct_count"),
            outcome_value_count: v("outcome_value_count"),
            outcome_sum: v("outcome_sum"),
            outcome_sum_sq: v("outcome_sum_sq"),
            log_loss_count: v("log_loss_count"),
            log_loss_sum: v("log_loss_sum"),
            log_loss_sum_sq: v("log_loss_sum_sq"),
          };
        }),
      );
    },
    units: async (queryInput) => {
      const parsed = check.aggregateQuery(queryInput);
      const { from, to } = windowBounds(parsed.window);
      return Promise.all(
        parsed.variants.map(async (variant): Promise<VariantUnits> => {
          const where = scope(parsed.experiment_id, variant, from, to);
          const { users, units, terms, centered } = await unitsOf(
            `count units of ${parsed.experiment_id}/${variant}`,
            where.text,
            where.parameters,
          );
          return {
            variant,
            user_count: users,
            unit_count: units,
            ...terms,
            ...(parsed.centered === true ? { centered } : {}),
          };
        }),
      );
    },
    assignments: async (queryInput) => {
      const parsed = check.aggregateQuery(queryInput);
      const { from, to } = windowBounds(parsed.window);
      const counts = await Promise.all(
        parsed.variants.map((variant) => countsOf(parsed.experiment_id, variant, from, to)),
      );
      return groupAssignments(parsed.variants, counts.flat());
    },
    usersInSeveralArms,
    joined: (q: JoinedQuery) => iterateJoined(q),
  };
}
