/**
 * The SQLite adapter's connection: the file (created with its directory on first use, unless only
 * an existing one will do), its pragmas and migrations, prepared statements, IMMEDIATE
 * transactions, and `guard`, which turns SQLite's lock, corruption and I/O failures into
 * `StoreUnavailableError`.
 */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { makeDirectory } from "@mlops/contracts/files";
import Database from "better-sqlite3";
import { StoreConflictError, StoreUnavailableError } from "../errors.js";
import { MIGRATIONS, migrate } from "./migrations.js";

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
  /** Page cache of this connection, in MiB (default 64). */
  readonly cacheMiB?: number;
  /**
   * Open an existing file only, never creating it or its directory: a server's store is made by
   * the commands that register models, so a missing file is a mistyped path.
   */
  readonly existing?: boolean;
}

/** A result row. */
export type Row = Record<string, unknown>;

/** A prepared statement whose rows are typed `T`. */
export interface Statement<T> {
  get(...args: unknown[]): T | undefined;
  all(...args: unknown[]): T[];
  run(...args: unknown[]): Database.RunResult;
  iterate(...args: unknown[]): IterableIterator<T>;
}

/** An open, migrated file: what every repository of the adapter works through. */
export interface SqliteCore {
  /** The store's name in errors: `sqlite:<absolute path>`. */
  readonly name: string;
  /** The absolute path, or `:memory:`. */
  readonly file: string;
  readonly db: Database.Database;
  readonly now: () => number;
  /** Run `fn`, turning SQLite's lock, corruption and I/O failures into `StoreUnavailableError`. */
  guard<T>(fn: () => T): T;
  /** Prepare `text` once. */
  sql<T = Row>(text: string): Statement<T>;
  /** `fn` as one IMMEDIATE transaction (guarded), so its reads cannot go stale before its writes. */
  immediate<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  /** Run an insert; a primary-key clash becomes `StoreConflictError` with `message`. */
  insertNew(insert: () => unknown, message: string): void;
}

/**
 * Page size of a new database file, in bytes (SQLite's default is 4096). The prediction log appends
 * to two B-trees (the table by request id, the covering index by experiment and variant); with
 * 8 KiB pages a record cost its writer 3.4-3.8 µs of CPU against 4.6-4.8 at 4 KiB (the log-writes
 * bench, three runs each), with bulk writes, the aggregate and the joined pairs no slower.
 */
export const PAGE_SIZE = 8192;

const UNAVAILABLE_CODES =
  /^SQLITE_(BUSY|LOCKED|NOTADB|CORRUPT|CANTOPEN|IOERR|READONLY|FULL|PERM|AUTH)/;

/**
 * Open (creating the file and its directory on first use, unless `options.existing`) and migrate
 * the file at `path`.
 */
export function openSqlite(path: string, options: SqliteStoreOptions = {}): SqliteCore {
  const file = path === ":memory:" ? path : resolve(path);
  const name = `sqlite:${file}`;

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
    if (file !== ":memory:") {
      // SQLite would open a device or a pipe and write its journal beside it (/dev/null-journal).
      const stat = statSync(file, { throwIfNoEntry: false });
      if (stat !== undefined && !stat.isFile()) {
        throw new StoreUnavailableError(name, "is not a regular file: name a database file");
      }
      if (stat === undefined && options.existing) {
        throw new StoreUnavailableError(
          name,
          "does not exist (pnpm start and the mlops commands create it): check the path",
        );
      }
      makeDirectory(dirname(file));
    }
    const handle = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      // A new file only: an existing one keeps the page size it was made with.
      handle.pragma(`page_size = ${PAGE_SIZE}`);
      handle.pragma("journal_mode = WAL");
      // NORMAL is durable across process crashes in WAL mode; only an OS crash may lose the tail.
      handle.pragma("synchronous = NORMAL");
      handle.pragma("foreign_keys = ON");
      // 64 MiB page cache by default: the aggregate index and the key B-trees of a million logs
      // stay hot. Negative: a size in KiB.
      handle.pragma(`cache_size = -${Math.round((options.cacheMiB ?? 64) * 1024)}`);
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

  return {
    name,
    file,
    db,
    now: options.now ?? Date.now,
    guard,
    sql: <T = Row>(text: string): Statement<T> => {
      const stmt = db.prepare(text);
      return {
        get: (...args) => stmt.get(...args) as T | undefined,
        all: (...args) => stmt.all(...args) as T[],
        run: (...args) => stmt.run(...args),
        iterate: (...args) => stmt.iterate(...args) as IterableIterator<T>,
      };
    },
    immediate: <A extends unknown[], T>(fn: (...args: A) => T) => {
      const tx = db.transaction(fn);
      return (...args: A): T => guard(() => tx.immediate(...args));
    },
    insertNew: (insert, message) => {
      try {
        insert();
      } catch (error) {
        if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
          throw new StoreConflictError(name, message);
        }
        throw error;
      }
    },
  };
}
