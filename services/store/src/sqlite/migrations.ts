/**
 * Versioned schema of the embedded store. Each migration runs once, in its own IMMEDIATE
 * transaction together with the bump of `schema_version`, so two processes opening a fresh file
 * at the same time never both apply it.
 */
import type Database from "better-sqlite3";

/** Migrations in order; never edit a shipped one, append a new one. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE model_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (name, version)
  ) WITHOUT ROWID;
  CREATE TABLE model_aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (name, alias)
  ) WITHOUT ROWID;

  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    experiment_name TEXT NOT NULL,
    parent_run_id TEXT,
    start_time INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX runs_by_experiment ON runs (experiment_name, start_time);
  CREATE INDEX runs_by_parent ON runs (parent_run_id, start_time);
  CREATE TABLE run_metrics (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value REAL NOT NULL
  );
  CREATE INDEX run_metrics_by_run ON run_metrics (run_id, key, step, seq);

  CREATE TABLE experiments (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX decisions_by_experiment ON decisions (experiment_id, decided_at);

  -- Outcome terms (t_*) are filled in when prediction and outcome meet, so the A/B aggregate is a
  -- single range scan; the covering index holds every column it sums (no table lookups).
  CREATE TABLE predictions (
    request_id TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    ts INTEGER NOT NULL,
    is_error INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    model_name TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    user_id TEXT,
    prediction TEXT,
    probabilities TEXT,
    t_correct INTEGER,
    t_value REAL,
    t_logloss REAL
  ) WITHOUT ROWID;
  CREATE INDEX predictions_aggregate ON predictions
    (experiment_id, variant, ts, is_error, latency_ms, t_correct, t_value, t_logloss);
  CREATE TABLE outcomes (
    request_id TEXT PRIMARY KEY,
    label TEXT,
    value REAL,
    ts INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: request_id right after ts in the covering index, so joined pairs come out in
  // (ts, request_id) order straight from the index (no sort per page); the aggregate stays covered.
  `
  DROP INDEX predictions_aggregate;
  CREATE INDEX predictions_aggregate ON predictions
    (experiment_id, variant, ts, request_id, is_error, latency_ms, t_correct, t_value, t_logloss);
  `,
  // 3: what assigned each prediction's arm (NULL on older rows: unknown), at the end of the
  // covering index so the per-configuration counts and a configuration's aggregate stay covered.
  `
  ALTER TABLE predictions ADD COLUMN assignment TEXT;
  ALTER TABLE predictions ADD COLUMN challenger_weight INTEGER;
  DROP INDEX predictions_aggregate;
  CREATE INDEX predictions_aggregate ON predictions
    (experiment_id, variant, ts, request_id, is_error, latency_ms, t_correct, t_value, t_logloss,
     assignment, challenger_weight);
  `,
  // 4: user_id at the end of the covering index, so counting the users seen on several arms reads
  // the index alone: 6M logs took 7.4 s with a table lookup per row, 2.7 s from the index.
  `
  DROP INDEX predictions_aggregate;
  CREATE INDEX predictions_aggregate ON predictions
    (experiment_id, variant, ts, request_id, is_error, latency_ms, t_correct, t_value, t_logloss,
     assignment, challenger_weight, user_id);
  `,
  // 5: where each version's registration stands; versions registered before were READY.
  `
  ALTER TABLE model_versions ADD COLUMN status TEXT NOT NULL DEFAULT 'READY';
  `,
];

/** Bring `db` to the latest schema version; returns the version it is at. */
export function migrate(db: Database.Database): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const current = (): number =>
    (db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as { v: number | null }).v ??
    0;
  for (let i = 0; i < MIGRATIONS.length; i++) {
    const apply = db.transaction(() => {
      // Re-read inside the write lock: another process may have applied it meanwhile.
      if (current() > i) return;
      db.exec(MIGRATIONS[i] as string);
      db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(i + 1);
    });
    apply.immediate();
  }
  return current();
}
