/**
 * The embedded store: one SQLite file (better-sqlite3, WAL), safe with several processes on one
 * machine — writers serialise on SQLite's lock and wait up to `busyTimeoutMs` for it, and every
 * read-check-write runs in an IMMEDIATE transaction so its check cannot go stale.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type {
  Decision,
  Experiment,
  ExperimentInput,
  ExperimentState,
  JoinedPair,
  MetricPoint,
  ModelRef,
  ModelVersion,
  ModelVersionInput,
  OutcomeRecord,
  PredictionRecord,
  TrackedRun,
  VariantAggregate,
} from "@mlops/contracts";
import Database from "better-sqlite3";
import { StoreConflictError, StoreNotFoundError, StoreUnavailableError } from "../errors.js";
import { describeRef, mergeParams, staleAliasMessage } from "../shared.js";
import type {
  AliasPrecondition,
  JoinedQuery,
  ModelSummary,
  RunFilter,
  Store,
  WriteResult,
} from "../store.js";
import { outcomeTerms } from "../terms.js";
import { check } from "../validate.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { startPredictionWriter } from "./prediction-writer.js";

/** Options of the SQLite adapter. */
export interface SqliteStoreOptions {
  /** How long a writer waits for another process's lock before failing (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /** Clock for `created_at` stamps (tests pin it). */
  readonly now?: () => number;
  /**
   * Write prediction logs, and read their per-variant aggregates, on a thread with its own
   * connection (prediction-writer.ts), so a server's event loop never waits on SQLite for them.
   * Ignored for `:memory:` (one connection only).
   */
  readonly predictionWriterThread?: boolean;
}

const UNAVAILABLE_CODES =
  /^SQLITE_(BUSY|LOCKED|NOTADB|CORRUPT|CANTOPEN|IOERR|READONLY|FULL|PERM|AUTH)/;

type Row = Record<string, unknown>;

/** Open (creating the file and its directory on first use) and migrate a SQLite store. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const file = path === ":memory:" ? path : resolve(path);
  const name = `sqlite:${file}`;
  const now = options.now ?? Date.now;

  /** Run `fn`, turning SQLite's lock, corruption and I/O failures into `StoreUnavailableError`. */
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
        // File-system failures (ENOTDIR, EACCES, EROFS, …) while creating the file's directory.
        throw new StoreUnavailableError(name, `cannot be created (${(error as Error).message})`, {
          cause: error,
        });
      }
      if (typeof code === "string" && UNAVAILABLE_CODES.test(code)) {
        const why = /BUSY|LOCKED/.test(code)
          ? `locked by another connection for longer than the busy timeout (${code})`
          : `cannot be used (${code}: ${(error as Error).message})`;
        throw new StoreUnavailableError(name, why, { cause: error });
      }
      throw error;
    }
  };

  const db = guard(() => {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    const handle = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      handle.pragma("journal_mode = WAL");
      // NORMAL is durable across process crashes in WAL mode; only an OS crash may lose the tail.
      handle.pragma("synchronous = NORMAL");
      handle.pragma("foreign_keys = ON");
      // 64 MB page cache: the aggregate index and the key B-trees of a million logs stay hot.
      handle.pragma("cache_size = -65536");
      const version = migrate(handle);
      if (version > MIGRATIONS.length) {
        throw new StoreUnavailableError(
          name,
          `schema version ${version} is newer than this code knows (${MIGRATIONS.length}); upgrade @mlops/store`,
        );
      }
      return handle;
    } catch (error) {
      handle.close();
      throw error;
    }
  });

  const writer =
    options.predictionWriterThread && file !== ":memory:"
      ? startPredictionWriter(name, { path: file, busyTimeoutMs: options.busyTimeoutMs })
      : undefined;

  const sql = <T = Row>(text: string) => {
    const stmt = db.prepare(text);
    return {
      get: (...args: unknown[]) => stmt.get(...args) as T | undefined,
      all: (...args: unknown[]) => stmt.all(...args) as T[],
      run: (...args: unknown[]) => stmt.run(...args),
      iterate: (...args: unknown[]) => stmt.iterate(...args) as IterableIterator<T>,
    };
  };
  const immediate = <A extends unknown[], T>(fn: (...args: A) => T) => {
    const tx = db.transaction(fn);
    return (...args: A): T => guard(() => tx.immediate(...args));
  };

  // ---------------------------------------------------------------- models
  const q = {
    maxVersion: sql<{ v: number | null }>(
      "SELECT MAX(version) AS v FROM model_versions WHERE name = ?",
    ),
    insertVersion: sql(
      "INSERT INTO model_versions (name, version, kind, created_at, body) VALUES (?, ?, ?, ?, ?)",
    ),
    version: sql<{ body: string }>(
      "SELECT body FROM model_versions WHERE name = ? AND version = ?",
    ),
    versions: sql<{ body: string }>(
      "SELECT body FROM model_versions WHERE name = ? ORDER BY version DESC",
    ),
    latest: sql<{ body: string }>(
      "SELECT body FROM model_versions WHERE name = ? ORDER BY version DESC LIMIT 1",
    ),
    names: sql<{ name: string; kind: string; v: number }>(
      "SELECT name, kind, MAX(version) AS v FROM model_versions GROUP BY name ORDER BY name",
    ),
    aliases: sql<{ alias: string; version: number }>(
      "SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias",
    ),
    alias: sql<{ version: number }>(
      "SELECT version FROM model_aliases WHERE name = ? AND alias = ?",
    ),
    putAlias: sql(
      `INSERT INTO model_aliases (name, alias, version, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
    ),
    dropAlias: sql("DELETE FROM model_aliases WHERE name = ? AND alias = ?"),
  };

  const aliasesOf = (modelName: string): Record<string, number> =>
    Object.fromEntries(q.aliases.all(modelName).map((r) => [r.alias, r.version]));

  const withAliases = (body: string): ModelVersion => {
    const stored = JSON.parse(body) as Omit<ModelVersion, "aliases">;
    const aliases = Object.entries(aliasesOf(stored.name))
      .filter(([, v]) => v === stored.version)
      .map(([a]) => a);
    return { ...stored, aliases };
  };

  const register = immediate((input: ModelVersionInput): ModelVersion => {
    const parsed = check.modelInput(input);
    const version = (q.maxVersion.get(parsed.name)?.v ?? 0) + 1;
    const stored = { ...parsed, version, created_at: now() };
    q.insertVersion.run(
      parsed.name,
      version,
      parsed.kind,
      stored.created_at,
      JSON.stringify(stored),
    );
    return { ...stored, aliases: [] };
  });

  const checkAlias = (modelName: string, alias: string, pre: AliasPrecondition | undefined) => {
    const current = q.alias.get(modelName, alias)?.version ?? null;
    if (pre?.expectedVersion !== undefined && pre.expectedVersion !== current) {
      throw new StoreConflictError(
        name,
        staleAliasMessage(modelName, alias, current, pre.expectedVersion),
      );
    }
  };

  const setAlias = immediate(
    (modelName: string, alias: string, version: number, pre?: AliasPrecondition) => {
      check.name(modelName);
      check.alias(alias);
      check.version(version);
      if (q.version.get(modelName, version) === undefined) {
        throw new StoreNotFoundError(name, `model ${modelName} has no version ${version}`);
      }
      checkAlias(modelName, alias, pre);
      q.putAlias.run(modelName, alias, version, now());
    },
  );

  const deleteAlias = immediate((modelName: string, alias: string, pre?: AliasPrecondition) => {
    checkAlias(modelName, alias, pre);
    q.dropAlias.run(modelName, alias);
  });

  const resolveRef = (ref: ModelRef): ModelVersion => {
    let row: { body: string } | undefined;
    if (ref.selector === "latest") row = q.latest.get(ref.name);
    else if (ref.selector === "version") row = q.version.get(ref.name, ref.version);
    else {
      const v = q.alias.get(ref.name, ref.alias)?.version;
      row = v === undefined ? undefined : q.version.get(ref.name, v);
    }
    if (row === undefined)
      throw new StoreNotFoundError(name, `no model version matches ${describeRef(ref)}`);
    return withAliases(row.body);
  };

  // ---------------------------------------------------------------- runs
  const r = {
    insert: sql(
      "INSERT INTO runs (run_id, experiment_name, parent_run_id, start_time, body) VALUES (?, ?, ?, ?, ?)",
    ),
    body: sql<{ body: string }>("SELECT body FROM runs WHERE run_id = ?"),
    update: sql("UPDATE runs SET body = ? WHERE run_id = ?"),
    metric: sql(
      "INSERT INTO run_metrics (run_id, key, step, timestamp, value) VALUES (?, ?, ?, ?, ?)",
    ),
    metrics: sql<{ key: string; step: number; timestamp: number; value: number }>(
      "SELECT key, step, timestamp, value FROM run_metrics WHERE run_id = ? ORDER BY key, step, seq",
    ),
  };
  type RunBody = Omit<TrackedRun, "metrics">;

  const runBody = (runId: string): RunBody => {
    const row = r.body.get(runId);
    if (row === undefined) throw new StoreNotFoundError(name, `run ${runId} does not exist`);
    return JSON.parse(row.body) as RunBody;
  };
  const withMetrics = (body: RunBody): TrackedRun => {
    const metrics: TrackedRun["metrics"] = {};
    for (const point of r.metrics.all(body.run_id)) {
      const history = metrics[point.key] ?? [];
      history.push(point);
      metrics[point.key] = history;
    }
    return { ...body, metrics };
  };
  /** Read-modify-write of a run's body inside one IMMEDIATE transaction. */
  const updateRun = immediate((runId: string, change: (body: RunBody) => RunBody) => {
    r.update.run(JSON.stringify(change(runBody(runId))), runId);
  });
  const appendMetrics = immediate((runId: string, points: readonly MetricPoint[]) => {
    runBody(runId);
    for (const pt of points) r.metric.run(runId, pt.key, pt.step, pt.timestamp, pt.value);
  });

  // ---------------------------------------------------------------- experiments
  const e = {
    insert: sql("INSERT INTO experiments (id, created_at, body) VALUES (?, ?, ?)"),
    get: sql<{ body: string }>("SELECT body FROM experiments WHERE id = ?"),
    all: sql<{ body: string }>("SELECT body FROM experiments ORDER BY created_at, id"),
    update: sql("UPDATE experiments SET body = ? WHERE id = ?"),
    decision: sql(
      "INSERT OR IGNORE INTO decisions (id, experiment_id, decided_at, body) VALUES (?, ?, ?, ?)",
    ),
    decisions: sql<{ body: string }>(
      "SELECT body FROM decisions WHERE experiment_id = ? ORDER BY decided_at, id",
    ),
  };

  // ---------------------------------------------------------------- predictions and outcomes
  const p = {
    insert: sql(
      `INSERT OR IGNORE INTO predictions (request_id, experiment_id, variant, ts, is_error,
        latency_ms, model_name, model_version, user_id, prediction, probabilities)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: sql<Row>("SELECT * FROM predictions WHERE request_id = ?"),
    setTerms: sql(
      "UPDATE predictions SET t_correct = ?, t_value = ?, t_logloss = ? WHERE request_id = ?",
    ),
    aggregate: sql<Row>(
      `SELECT COUNT(*) AS count, TOTAL(is_error) AS error_count,
         TOTAL(latency_ms) AS latency_sum, TOTAL(latency_ms * latency_ms) AS latency_sum_sq,
         COUNT(t_correct) AS outcome_count, TOTAL(t_correct) AS correct_count,
         COUNT(t_value) AS outcome_value_count, TOTAL(t_value) AS outcome_sum,
         TOTAL(t_value * t_value) AS outcome_sum_sq,
         COUNT(t_logloss) AS log_loss_count, TOTAL(t_logloss) AS log_loss_sum,
         TOTAL(t_logloss * t_logloss) AS log_loss_sum_sq
       FROM predictions
       WHERE experiment_id = ? AND variant = ? AND ts >= ? AND ts < ?`,
    ),
    // Keyset paging on (ts, request_id): each page is an index range, whatever the offset.
    joinedPage: sql<Row>(
      `SELECT p.request_id, p.variant, p.ts, p.prediction, p.probabilities, p.latency_ms,
         p.is_error, o.label AS o_label, o.value AS o_value, o.ts AS o_ts
       FROM predictions p JOIN outcomes o ON o.request_id = p.request_id
       WHERE p.experiment_id = ? AND p.variant = ? AND p.ts < ? AND (p.ts, p.request_id) > (?, ?)
       ORDER BY p.ts, p.request_id LIMIT ?`,
    ),
  };
  const o = {
    insert: sql(
      "INSERT OR IGNORE INTO outcomes (request_id, label, value, ts) VALUES (?, ?, ?, ?)",
    ),
    get: sql<{ request_id: string; label: string | null; value: number | null; ts: number }>(
      "SELECT * FROM outcomes WHERE request_id = ?",
    ),
  };

  const toPrediction = (row: Row): PredictionRecord => ({
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
  });
  const outcomeOf = (label: unknown, value: unknown) =>
    (value === null ? label : value) as string | number;

  const applyTerms = (record: PredictionRecord, outcome: string | number) => {
    const terms = outcomeTerms(record, outcome);
    if (terms !== null)
      p.setTerms.run(terms.correct, terms.value, terms.logLoss, record.request_id);
  };

  const insertPredictions = immediate((records: readonly PredictionRecord[]): WriteResult => {
    let inserted = 0;
    for (const rec of records) {
      const changes = p.insert.run(
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
      ).changes;
      if (changes === 0) continue;
      inserted++;
      // An outcome may arrive before its prediction is logged (the log is asynchronous).
      const early = o.get.get(rec.request_id);
      if (early !== undefined) applyTerms(rec, outcomeOf(early.label, early.value));
    }
    return { inserted };
  });

  const insertOutcomes = immediate((records: readonly OutcomeRecord[]): WriteResult => {
    let inserted = 0;
    for (const rec of records) {
      const numeric = typeof rec.outcome === "number";
      const changes = o.insert.run(
        rec.request_id,
        numeric ? null : rec.outcome,
        numeric ? rec.outcome : null,
        rec.timestamp,
      ).changes;
      if (changes === 0) continue;
      inserted++;
      const row = p.get.get(rec.request_id);
      if (row !== undefined) applyTerms(toPrediction(row), rec.outcome);
    }
    return { inserted };
  });

  const window = (w: { from: number; to: number } | undefined): [number, number] =>
    w === undefined ? [0, Number.MAX_SAFE_INTEGER] : [w.from, w.to];

  const setExperimentState = immediate(
    (id: string, state: ExperimentState, expected: ExperimentState | undefined): Experiment => {
      const row = e.get.get(id);
      if (row === undefined) throw new StoreNotFoundError(name, `experiment ${id} does not exist`);
      const current = JSON.parse(row.body) as Experiment;
      if (expected !== undefined && current.state !== expected) {
        throw new StoreConflictError(
          name,
          `experiment ${id} is ${current.state}, expected ${expected} (it changed since it was read)`,
        );
      }
      const next: Experiment = { ...current, state, updated_at: now() };
      e.update.run(JSON.stringify(next), id);
      return next;
    },
  );

  const store: Store = {
    name,
    models: {
      register: async (input) => register(input),
      get: async (modelName, version) =>
        guard(() => {
          const row = q.version.get(modelName, version);
          return row === undefined ? null : withAliases(row.body);
        }),
      resolve: async (ref) => guard(() => resolveRef(check.modelRef(ref))),
      list: async (modelName) =>
        guard(() => q.versions.all(modelName).map((row) => withAliases(row.body))),
      summaries: async () =>
        guard(() =>
          q.names.all().map(
            (row): ModelSummary => ({
              name: row.name,
              kind: row.kind as ModelSummary["kind"],
              latest_version: row.v,
              aliases: aliasesOf(row.name),
            }),
          ),
        ),
      aliases: async (modelName) => guard(() => aliasesOf(modelName)),
      setAlias: async (modelName, alias, version, pre) => setAlias(modelName, alias, version, pre),
      deleteAlias: async (modelName, alias, pre) => deleteAlias(modelName, alias, pre),
    },
    runs: {
      create: async (input) =>
        guard(() => {
          const parsed = check.runInput(input);
          const body: RunBody = { ...parsed, status: "RUNNING", end_time: null, artifacts: [] };
          try {
            r.insert.run(
              body.run_id,
              body.experiment_name,
              body.parent_run_id,
              body.start_time,
              JSON.stringify(body),
            );
          } catch (error) {
            if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
              throw new StoreConflictError(name, `run ${body.run_id} already exists`);
            }
            throw error;
          }
          return { ...body, metrics: {} };
        }),
      get: async (runId) =>
        guard(() => {
          const row = r.body.get(runId);
          return row === undefined ? null : withMetrics(JSON.parse(row.body) as RunBody);
        }),
      logParams: async (runId, params) => {
        const added = check.params(params);
        updateRun(runId, (body) => ({ ...body, params: mergeParams(name, body, added) }));
      },
      logMetrics: async (runId, points) => appendMetrics(runId, check.metrics(points)),
      setTags: async (runId, tags) => {
        const added = check.tags(tags);
        updateRun(runId, (body) => ({ ...body, tags: { ...body.tags, ...added } }));
      },
      addArtifacts: async (runId, artifacts) => {
        const added = check.artifacts(artifacts);
        updateRun(runId, (body) => ({ ...body, artifacts: [...body.artifacts, ...added] }));
      },
      finish: async (runId, status, endTime) =>
        updateRun(runId, (body) => ({ ...body, status, end_time: endTime })),
      list: async (filter: RunFilter = {}) =>
        guard(() => {
          const where: string[] = [];
          const args: unknown[] = [];
          if (filter.experimentName !== undefined) {
            where.push("experiment_name = ?");
            args.push(filter.experimentName);
          }
          if (filter.parentRunId !== undefined) {
            where.push("parent_run_id = ?");
            args.push(filter.parentRunId);
          }
          const clause = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
          return sql<{ body: string }>(
            `SELECT body FROM runs ${clause} ORDER BY start_time, run_id`,
          )
            .all(...args)
            .map((row) => withMetrics(JSON.parse(row.body) as RunBody));
        }),
    },
    experiments: {
      create: async (input: ExperimentInput, at = now()) =>
        guard(() => {
          const parsed = check.experimentInput(input);
          const experiment: Experiment = { ...parsed, created_at: at, updated_at: at };
          try {
            e.insert.run(experiment.id, at, JSON.stringify(experiment));
          } catch (error) {
            if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
              throw new StoreConflictError(name, `experiment ${experiment.id} already exists`);
            }
            throw error;
          }
          return experiment;
        }),
      get: async (id) =>
        guard(() => {
          const row = e.get.get(id);
          return row === undefined ? null : (JSON.parse(row.body) as Experiment);
        }),
      list: async () => guard(() => e.all.all().map((row) => JSON.parse(row.body) as Experiment)),
      setState: async (id: string, state: ExperimentState, expected?: ExperimentState) =>
        setExperimentState(id, state, expected),
      appendDecision: async (decision: Decision) =>
        guard(() => {
          const parsed = check.decision(decision);
          if (e.get.get(parsed.experiment_id) === undefined) {
            throw new StoreNotFoundError(name, `experiment ${parsed.experiment_id} does not exist`);
          }
          e.decision.run(
            parsed.id,
            parsed.experiment_id,
            parsed.decided_at,
            JSON.stringify(parsed),
          );
        }),
      decisions: async (experimentId) =>
        guard(() => e.decisions.all(experimentId).map((row) => JSON.parse(row.body) as Decision)),
    },
    predictions: {
      // The writer thread checks the records itself, off the caller's event loop.
      insertMany: async (records) =>
        writer ? writer.insertMany(records) : insertPredictions(check.predictions(records)),
      get: async (requestId) =>
        guard(() => {
          const row = p.get.get(requestId);
          return row === undefined ? null : toPrediction(row);
        }),
      // On the writer thread where there is one: a busy hour's aggregate takes ~100 ms.
      aggregate: async (query) =>
        writer
          ? writer.aggregate(query)
          : guard(() => {
              const parsed = check.aggregateQuery(query);
              const [from, to] = window(parsed.window);
              return parsed.variants.map((variant) => {
                const row = p.aggregate.get(parsed.experiment_id, variant, from, to) as Row;
                // The SQL aliases are the VariantAggregate keys.
                return { variant, ...row } as VariantAggregate;
              });
            }),
      joined: (query: JoinedQuery) => iterateJoined(query),
    },
    outcomes: {
      insertMany: async (records) => insertOutcomes(check.outcomes(records)),
      get: async (requestId) =>
        guard(() => {
          const row = o.get.get(requestId);
          return row === undefined
            ? null
            : {
                request_id: row.request_id,
                outcome: outcomeOf(row.label, row.value),
                timestamp: row.ts,
              };
        }),
    },
    ping: async () => {
      guard(() => db.prepare("SELECT COUNT(*) FROM schema_version").get());
    },
    close: async () => {
      await writer?.close();
      db.close();
    },
  };

  async function* iterateJoined(input: JoinedQuery): AsyncGenerator<JoinedPair> {
    const query = check.joinedQuery(input);
    const [from, to] = window(query.window);
    // Pages, so no statement stays open while the consumer awaits between pairs.
    const page = 10_000;
    let after: [number, string] = [from, ""];
    for (;;) {
      const rows = guard(() =>
        p.joinedPage.all(query.experiment_id, query.variant, to, after[0], after[1], page),
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
          outcome: outcomeOf(row.o_label, row.o_value),
          outcome_timestamp: row.o_ts as number,
        };
      }
      if (rows.length < page) return;
      const last = rows[rows.length - 1] as Row;
      after = [last.ts as number, last.request_id as string];
    }
  }

  return store;
}

function probabilitiesOf(row: Row): PredictionRecord["probabilities"] {
  return row.probabilities === null ? null : JSON.parse(row.probabilities as string);
}

function statusOf(row: Row): PredictionRecord["status"] {
  return row.is_error === 1 ? "error" : "ok";
}
