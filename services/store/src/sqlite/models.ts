/**
 * Model versions and aliases on SQLite: `model_versions` (the version as JSON, keyed by name and
 * number, its registration status beside it) and `model_aliases`. Registration, its end and alias
 * moves are IMMEDIATE transactions, so the next number, a version's status and an alias
 * precondition are read under the write lock.
 */
import type {
  ModelKind,
  ModelRef,
  ModelVersion,
  ModelVersionInput,
  ModelVersionStatus,
} from "@mlops/contracts";
import { StoreConflictError, StoreNotFoundError } from "../errors.js";
import {
  describeRef,
  requirePendingRegistration,
  requirePlainModelKeys,
  requireReadyForAlias,
  requireSameKind,
  staleAliasMessage,
} from "../shared.js";
import type { AliasPrecondition, ModelRepository, ModelSummary } from "../store.js";
import { check } from "../validate.js";
import type { SqliteCore } from "./connection.js";

/** A version's row: its record as JSON and where its registration stands. */
interface Row {
  readonly body: string;
  readonly status: ModelVersionStatus;
}

/** The model repository over `core`. */
export function sqliteModels(core: SqliteCore): ModelRepository {
  const { name, now, guard, sql, immediate } = core;
  const q = {
    // SQLite returns the bare column (kind) from the row that holds the maximum.
    newest: sql<{ v: number | null; kind: string | null }>(
      "SELECT MAX(version) AS v, kind FROM model_versions WHERE name = ?",
    ),
    insertVersion: sql(
      `INSERT INTO model_versions (name, version, kind, created_at, body, status)
       VALUES (?, ?, ?, ?, ?, 'PENDING_REGISTRATION')`,
    ),
    version: sql<Row>("SELECT body, status FROM model_versions WHERE name = ? AND version = ?"),
    versions: sql<Row>(
      "SELECT body, status FROM model_versions WHERE name = ? ORDER BY version DESC",
    ),
    latest: sql<Row>(
      `SELECT body, status FROM model_versions WHERE name = ? AND status = 'READY'
       ORDER BY version DESC LIMIT 1`,
    ),
    setStatus: sql("UPDATE model_versions SET status = ? WHERE name = ? AND version = ?"),
    names: sql<{ name: string; kind: string; v: number; ready: number | null }>(
      `SELECT name, kind, MAX(version) AS v, MAX(CASE WHEN status = 'READY' THEN version END) AS ready
       FROM model_versions GROUP BY name ORDER BY name`,
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

  const withAliases = ({ body, status }: Row): ModelVersion => {
    const stored = JSON.parse(body) as Omit<ModelVersion, "aliases" | "status">;
    const aliases = Object.entries(aliasesOf(stored.name))
      .filter(([, v]) => v === stored.version)
      .map(([a]) => a);
    return { ...stored, status, aliases };
  };

  /** The version, or `StoreNotFoundError`. */
  const mustGet = (modelName: string, version: number): ModelVersion => {
    const row = q.version.get(modelName, version);
    if (row === undefined) {
      throw new StoreNotFoundError(name, `model ${modelName} has no version ${version}`);
    }
    return withAliases(row);
  };

  const register = immediate((input: ModelVersionInput): ModelVersion => {
    const parsed = check.modelInput(requirePlainModelKeys(input));
    const newest = q.newest.get(parsed.name);
    requireSameKind(
      name,
      parsed.name,
      (newest?.kind ?? undefined) as ModelKind | undefined,
      parsed.kind,
    );
    const version = (newest?.v ?? 0) + 1;
    const stored = { ...parsed, version, created_at: now() };
    q.insertVersion.run(
      parsed.name,
      version,
      parsed.kind,
      stored.created_at,
      JSON.stringify(stored),
    );
    return { ...stored, status: "PENDING_REGISTRATION", aliases: [] };
  });

  const finishRegistration = immediate(
    (modelName: string, version: number, status: ModelVersionStatus): ModelVersion => {
      check.name(modelName);
      check.version(version);
      check.finishedStatus(status);
      const current = mustGet(modelName, version);
      requirePendingRegistration(name, current, status);
      q.setStatus.run(status, modelName, version);
      return { ...current, status };
    },
  );

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
      requireReadyForAlias(name, mustGet(modelName, version), alias);
      checkAlias(modelName, alias, pre);
      q.putAlias.run(modelName, alias, version, now());
    },
  );

  const deleteAlias = immediate((modelName: string, alias: string, pre?: AliasPrecondition) => {
    checkAlias(modelName, alias, pre);
    q.dropAlias.run(modelName, alias);
  });

  const resolveRef = (ref: ModelRef): ModelVersion => {
    let row: Row | undefined;
    if (ref.selector === "latest") row = q.latest.get(ref.name);
    else if (ref.selector === "version") row = q.version.get(ref.name, ref.version);
    else {
      const v = q.alias.get(ref.name, ref.alias)?.version;
      row = v === undefined ? undefined : q.version.get(ref.name, v);
    }
    if (row === undefined)
      throw new StoreNotFoundError(name, `no model version matches ${describeRef(ref)}`);
    return withAliases(row);
  };

  return {
    register: async (input) => register(input),
    finishRegistration: async (modelName, version, status) =>
      finishRegistration(modelName, version, status),
    get: async (modelName, version) =>
      guard(() => {
        const row = q.version.get(modelName, version);
        return row === undefined ? null : withAliases(row);
      }),
    resolve: async (ref) => guard(() => resolveRef(check.modelRef(ref))),
    list: async (modelName) => guard(() => q.versions.all(modelName).map(withAliases)),
    summaries: async () =>
      guard(() =>
        q.names.all().map(
          (row): ModelSummary => ({
            name: row.name,
            kind: row.kind as ModelSummary["kind"],
            latest_version: row.v,
            ready_version: row.ready,
            aliases: aliasesOf(row.name),
          }),
        ),
      ),
    aliases: async (modelName) => guard(() => aliasesOf(modelName)),
    setAlias: async (modelName, alias, version, pre) => setAlias(modelName, alias, version, pre),
    deleteAlias: async (modelName, alias, pre) => deleteAlias(modelName, alias, pre),
  };
}
