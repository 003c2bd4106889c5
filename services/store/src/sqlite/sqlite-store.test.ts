import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { expectLegacyReadsAsUnknown } from "../../test-support/legacy-records.js";
import { describeStoreContract } from "../../test-support/store-contract.js";
import { writeRounds } from "../../test-support/write-rounds.js";
import { StoreUnavailableError } from "../errors.js";
import { openStore } from "../open-store.js";
import { registerVersion } from "../registration.js";
import { openSqlite, PAGE_SIZE } from "./connection.js";
import { MIGRATIONS } from "./migrations.js";
import { PREDICTION_READS } from "./predictions.js";
import { openSqliteStore } from "./sqlite-store.js";

const root = mkdtempSync(join(tmpdir(), "mlops-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const freshPath = () => join(root, `case-${++seq}`, ".mlops", "platform.db");

describeStoreContract("sqlite", async () => {
  const store = openSqliteStore(freshPath());
  return { store, dispose: () => store.close() };
});

describeStoreContract("sqlite with the prediction writer thread", async () => {
  const store = openSqliteStore(freshPath(), { predictionWriterThread: true });
  return { store, dispose: () => store.close() };
});

const sha = "c".repeat(64);
const model = (name: string) => ({
  name,
  kind: "garch" as const,
  run_id: null,
  data_hash: null,
  git_sha: null,
  params: {},
  metrics: {},
  artifact: { uri: "file:garch.json", sha256: sha },
});

/** A fresh database file holding one registered model, `name`, its connection closed. */
async function fileWithModel(name: string): Promise<string> {
  const path = freshPath();
  const store = openSqliteStore(path);
  await registerVersion(store.models, model(name));
  await store.close();
  return path;
}

describe("sqlite adapter", () => {
  it("creates the file and its directories on first use, migrated once", async () => {
    const path = freshPath();
    expect(existsSync(path)).toBe(false);
    const store = await openStore({ kind: "sqlite", path });
    await store.close();
    expect(existsSync(path)).toBe(true);
    const reopened = openSqliteStore(path);
    await reopened.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT version FROM schema_version").all()).toEqual(
      MIGRATIONS.map((_, i) => ({ version: i + 1 })),
    );
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("page_size", { simple: true })).toBe(PAGE_SIZE);
    db.close();
  });

  it("opens only an existing file when told, creating neither it nor its directories", async () => {
    const path = freshPath();
    expect(() => openSqliteStore(path, { existing: true })).toThrow(
      new StoreUnavailableError(
        `sqlite:${path}`,
        "does not exist (pnpm start and the mlops commands create it): check the path",
      ),
    );
    expect(existsSync(dirname(path))).toBe(false);
    await openSqliteStore(path).close();
    await openSqliteStore(path, { existing: true }).close();
  });

  it("migrates a file written at schema version 1 without losing data", async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const old = new Database(path);
    old.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
    old.exec(MIGRATIONS[0] as string);
    old.prepare("INSERT INTO schema_version (version) VALUES (1)").run();
    old
      .prepare(
        `INSERT INTO predictions (request_id, experiment_id, variant, ts, is_error, latency_ms,
          model_name, model_version) VALUES ('r1', 'e', 'champion', 5, 0, 2.5, 'm', 1)`,
      )
      .run();
    // The version as the adapter stored it before: its record as JSON, no status.
    const registered = { ...model("m"), description: "", version: 1, created_at: 4 };
    old
      .prepare(
        "INSERT INTO model_versions (name, version, kind, created_at, body) VALUES (?, ?, ?, ?, ?)",
      )
      .run("m", 1, "garch", 4, JSON.stringify(registered));
    old.close();
    const store = openSqliteStore(path);
    // A file keeps the page size it was made with (SQLite's default here).
    const reopened = openSqlite(path);
    expect(reopened.db.pragma("page_size", { simple: true })).toBe(4096);
    reopened.db.close();
    const [agg] = await store.predictions.aggregate({ experiment_id: "e", variants: ["champion"] });
    expect(agg).toMatchObject({ count: 1, latency_sum: 2.5 });
    // Written before assignments were recorded.
    await expectLegacyReadsAsUnknown(store, { requestId: "r1", experimentId: "e", timestamp: 5 });
    // Registered before registrations had a status: its files were written, so it is READY.
    expect(await store.models.resolve("m")).toMatchObject({ ...registered, status: "READY" });
    await store.models.setAlias("m", "champion", 1);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT MAX(version) AS v FROM schema_version").get()).toEqual({
      v: MIGRATIONS.length,
    });
    db.close();
  });

  it("answers the A/B analysis's reads from the covering index alone", () => {
    const core = openSqlite(freshPath());
    try {
      const plan = (sql: string, ...params: unknown[]) =>
        (core.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
          (row) => row.detail,
        );
      const range = ["e", "champion", 0, 10];
      const named = { experiment: "e", variant: "champion", from: 0, to: 10 };
      const shifts = { latency: 1, outcome: 2, log_loss: 3 };
      for (const detail of [
        plan(PREDICTION_READS.aggregate, { ...named, ...shifts }),
        plan(PREDICTION_READS.shifts, named),
        plan(PREDICTION_READS.units, { ...named, ...shifts }),
        plan(PREDICTION_READS.assignments, ...range),
        plan(PREDICTION_READS.usersInSeveralArms, "e", '["champion","challenger"]', 0, 10),
      ]) {
        expect(detail).toContainEqual(
          expect.stringMatching(/^SEARCH predictions USING COVERING INDEX predictions_aggregate/),
        );
        expect(detail.join("\n")).not.toMatch(/SCAN predictions|USING PRIMARY KEY/);
      }
    } finally {
      core.db.close();
    }
  });

  it("sizes a connection's page cache: 64 MiB unless told", () => {
    const big = openSqlite(freshPath());
    const small = openSqlite(freshPath(), { cacheMiB: 8 });
    try {
      expect(big.db.pragma("cache_size", { simple: true })).toBe(-64 * 1024);
      expect(small.db.pragma("cache_size", { simple: true })).toBe(-8 * 1024);
    } finally {
      big.db.close();
      small.db.close();
    }
  });

  it("keeps data across connections", async () => {
    const path = await fileWithModel("persist");
    const b = openSqliteStore(path);
    expect((await b.models.resolve("persist")).version).toBe(1);
    await b.close();
  });

  it("gives distinct versions to two connections registering at once", async () => {
    const path = freshPath();
    const a = openSqliteStore(path);
    const b = openSqliteStore(path);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).models.register(model("two"))),
    );
    expect(new Set(results.map((r) => r.version)).size).toBe(20);
    await Promise.all([a.close(), b.close()]);
  });

  it("stays consistent with a child process writing at the same time", async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    await store.models.register(model("shared"));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "../../test-support/concurrent-writer.fixture.ts"),
        path,
        "shared",
        "40",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    // Start together; a child that dies first fails the test below instead of stalling it.
    await Promise.race([
      new Promise<void>((resolve) => child.stdout.once("data", () => resolve())),
      exited,
    ]);
    await writeRounds(store, "shared", 40, "parent");
    expect(await exited, stderr).toBe(0);
    const versions = (await store.models.list("shared")).map((v) => v.version);
    expect(versions).toHaveLength(81);
    expect(new Set(versions).size).toBe(81);
    expect(Math.max(...versions)).toBe(81);
    const [champion, challenger] = await store.predictions.aggregate({
      experiment_id: "exp-1",
      variants: ["champion", "challenger"],
    });
    expect((champion?.count ?? 0) + (challenger?.count ?? 0)).toBe(2 * 40 * 50);
    await store.close();
  });

  it("names the file when another connection holds the lock past the timeout", async () => {
    const path = freshPath();
    const store = openSqliteStore(path, { busyTimeoutMs: 100 });
    const holder = new Database(path);
    holder.exec("BEGIN IMMEDIATE");
    const started = Date.now();
    const error = await store.models.register(model("locked")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`sqlite:${path}`);
    expect((error as Error).message).toMatch(/locked/);
    // A bound, not a timing assertion: "never hangs" means well under the test timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    holder.exec("ROLLBACK");
    holder.close();
    await expect(store.models.register(model("locked"))).resolves.toMatchObject({ version: 1 });
    await store.close();
  });

  it("names the file when the writer thread waits for a lock past the timeout, then recovers", async () => {
    const path = freshPath();
    const store = openSqliteStore(path, { busyTimeoutMs: 100, predictionWriterThread: true });
    const holder = new Database(path);
    holder.exec("BEGIN IMMEDIATE");
    const record = {
      request_id: "r-locked",
      experiment_id: "exp-1",
      variant: "champion" as const,
      model_name: "classifier",
      model_version: 1,
      user_id: null,
      prediction: "1",
      probabilities: { "0": 0.25, "1": 0.75 },
      latency_ms: 1,
      status: "ok" as const,
      timestamp: 1_000,
    };
    const error = await store.predictions.insertMany([record]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`sqlite:${path}`);
    expect((error as Error).message).toMatch(/locked/);
    holder.exec("ROLLBACK");
    holder.close();
    await expect(store.predictions.insertMany([record])).resolves.toEqual({ inserted: 1 });
    await expect(store.predictions.get("r-locked")).resolves.toMatchObject({ prediction: "1" });
    await store.close();
  });

  it("writes while an aggregate over a large log runs: reads have a thread of their own", async () => {
    const store = openSqliteStore(freshPath(), { predictionWriterThread: true });
    const record = (i: number) => ({
      request_id: `r-${i}`,
      experiment_id: "exp-big",
      variant: i % 2 === 0 ? ("champion" as const) : ("challenger" as const),
      model_name: "classifier",
      model_version: 1,
      user_id: `u-${i}`,
      prediction: "1",
      probabilities: { "0": 0.25, "1": 0.75 },
      latency_ms: 1,
      status: "ok" as const,
      timestamp: 1_000 + i,
    });
    // Enough users that grouping them takes far longer than writing one batch.
    for (let from = 0; from < 200_000; from += 20_000) {
      await store.predictions.insertMany(
        Array.from({ length: 20_000 }, (_, i) => record(from + i)),
      );
    }
    let readDone = false;
    const read = store.predictions
      .usersInSeveralArms({ experiment_id: "exp-big", variants: ["champion", "challenger"] })
      .finally(() => {
        readDone = true;
      });
    await expect(store.predictions.insertMany([record(200_000)])).resolves.toEqual({ inserted: 1 });
    // The write did not queue behind the read.
    expect(readDone).toBe(false);
    await expect(read).resolves.toBe(0);
    const [champion] = await store.predictions.aggregate({
      experiment_id: "exp-big",
      variants: ["champion"],
    });
    expect(champion?.count).toBe(100_001);
    await store.close();
  });

  it("names the file when it is not a database", () => {
    const path = join(root, "corrupt.db");
    writeFileSync(
      path,
      "this is not a sqlite database, just text that is long enough to have a header",
    );
    expect(() => openSqliteStore(path)).toThrow(StoreUnavailableError);
    expect(() => openSqliteStore(path)).toThrow(`sqlite:${path}`);
  });

  it("refuses a path that is not a regular file, writing nothing beside it", () => {
    const folder = dirname(freshPath());
    mkdirSync(folder, { recursive: true });
    for (const path of [folder, ...(existsSync("/dev/null") ? ["/dev/null"] : [])]) {
      expect(() => openSqliteStore(path)).toThrow(
        new StoreUnavailableError(`sqlite:${path}`, "is not a regular file: name a database file"),
      );
      expect(existsSync(`${path}-journal`)).toBe(false);
    }
  });

  it("names the file when its pages are corrupt", async () => {
    const path = await fileWithModel("doomed");
    // Keep page 1 (header and schema), overwrite every table page with garbage.
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0xa5, pageSize);
    writeFileSync(path, bytes);
    const error = (() => {
      try {
        return openSqliteStore(path);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`sqlite:${path}`);
    expect((error as Error).message).toMatch(/CORRUPT/);
  });

  it("refuses a file written by a newer schema", async () => {
    const path = freshPath();
    await openSqliteStore(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(MIGRATIONS.length + 1);
    db.close();
    expect(() => openSqliteStore(path)).toThrow(/newer than this code knows/);
  });

  it("names the path when the directory cannot be created", () => {
    const blocker = join(root, "blocker");
    writeFileSync(blocker, "");
    expect(() => openSqliteStore(join(blocker, "x.db"))).toThrow(StoreUnavailableError);
    expect(() => openSqliteStore(join(blocker, "x.db"))).toThrow(/blocker/);
  });
});
