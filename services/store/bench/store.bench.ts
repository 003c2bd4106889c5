/**
 * Store benchmark: prediction-log writes per second in batches and the per-variant A/B aggregate,
 * on SQLite (1,000,000 records) and on the in-process Cosmos emulator (a smaller set: it keeps
 * everything in memory and scans for every query); and the CPU a serving log's write costs per
 * record on SQLite (log-writes.ts). Prints a table, or with `--json` one object:
 * {"sqlite":{"writes_per_s","aggregate_1m_ms","log_write_cpu_us"},
 *  "cosmos":{"writes_per_s","aggregate_ms","records"}}
 * `BENCH_SQLITE_RECORDS` shrinks the SQLite set for a quick look (the figures are for 1,000,000).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/open-store.js";
import type { Store } from "../src/store.js";
import { startEmulator } from "../test-support/cosmos-emulator.js";
import { generatePredictionLogs } from "../test-support/prediction-logs.js";
import { LOG_BATCH, measureLogWrites } from "./log-writes.js";

const json = process.argv.includes("--json");
const SQLITE_RECORDS = Number(process.env.BENCH_SQLITE_RECORDS ?? 1_000_000);
const COSMOS_RECORDS = 5_000;
const BATCH = 1000;
const CHUNK = 50_000;
const VARIANTS = ["champion", "challenger"];

const log = (line: string) => {
  if (!json) process.stderr.write(`${line}\n`);
};

/** Write rates of a fill: wall clock, and per CPU-second of this process (load-independent). */
interface FillRate {
  readonly wall: number;
  readonly cpu: number;
}

/** Write `total` generated records in batches; returns records written per second. */
async function fill(store: Store, total: number, batch: number): Promise<FillRate> {
  let writing = 0;
  let cpuMs = 0;
  for (let first = 0; first < total; first += CHUNK) {
    const count = Math.min(CHUNK, total - first);
    const traffic = generatePredictionLogs({
      seed: 1 + first / CHUNK,
      count,
      first,
      prefix: "bench",
      experimentId: "bench",
    });
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < traffic.predictions.length; i += batch) {
      await store.predictions.insertMany(traffic.predictions.slice(i, i + batch));
    }
    const cpu = process.cpuUsage(cpuStart);
    cpuMs += (cpu.user + cpu.system) / 1000;
    writing += performance.now() - started;
    for (let i = 0; i < traffic.outcomes.length; i += batch) {
      await store.outcomes.insertMany(traffic.outcomes.slice(i, i + batch));
    }
    log(`  ${first + count} records written`);
  }
  return { wall: total / (writing / 1000), cpu: total / (cpuMs / 1000) };
}

/** Wall time to iterate every joined (prediction, outcome) pair of both variants; and how many. */
async function timeJoined(store: Store): Promise<{ ms: number; pairs: number }> {
  const started = performance.now();
  let pairs = 0;
  for (const variant of VARIANTS) {
    for await (const _ of store.predictions.joined({ experiment_id: "bench", variant })) pairs++;
  }
  return { ms: performance.now() - started, pairs };
}

/** Median wall time of `runs` aggregate queries over both variants. */
async function timeAggregate(store: Store, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await store.predictions.aggregate({ experiment_id: "bench", variants: VARIANTS });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const dir = mkdtempSync(join(tmpdir(), "mlops-store-bench-"));
try {
  log(`SQLite: CPU per record of the serving log's writes (batches of ${LOG_BATCH})`);
  const logWrites = await measureLogWrites(dir);
  log(`SQLite: writing ${SQLITE_RECORDS} prediction records in batches of ${BATCH}`);
  const sqlite = await openStore({ kind: "sqlite", path: join(dir, "bench.db") });
  const sqliteWrites = await fill(sqlite, SQLITE_RECORDS, BATCH);
  const sqliteAggregate = await timeAggregate(sqlite, 5);
  const sqliteJoined = await timeJoined(sqlite);
  await sqlite.close();

  log(`Cosmos emulator: writing ${COSMOS_RECORDS} prediction records in batches of ${BATCH}`);
  const emulator = await startEmulator();
  const cosmos = await openStore({
    kind: "cosmos",
    endpoint: emulator.endpoint,
    database: "bench",
    key: "emulator",
  });
  const cosmosWrites = await fill(cosmos, COSMOS_RECORDS, BATCH);
  const cosmosAggregate = await timeAggregate(cosmos, 3);
  await cosmos.close();
  await emulator.close();

  const result = {
    sqlite: {
      writes_per_s: Math.round(sqliteWrites.wall),
      aggregate_1m_ms: Math.round(sqliteAggregate),
      log_write_cpu_us: Number(logWrites.cpuUsPerRecord.toFixed(2)),
    },
    cosmos: {
      writes_per_s: Math.round(cosmosWrites.wall),
      aggregate_ms: Math.round(cosmosAggregate),
      records: COSMOS_RECORDS,
    },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const rows = [
      [
        "adapter",
        "records",
        "writes/s (batches of 1000)",
        "writes per CPU-s",
        "aggregate (ms)",
        "target",
      ],
      [
        "sqlite",
        String(SQLITE_RECORDS),
        String(result.sqlite.writes_per_s),
        String(Math.round(sqliteWrites.cpu)),
        String(result.sqlite.aggregate_1m_ms),
        ">= 50000/s, < 1000 ms",
      ],
      [
        `sqlite, serving log (insertValidated, batches of ${LOG_BATCH}; thread CPU)`,
        String(logWrites.records),
        "-",
        String(Math.round(1e6 / logWrites.cpuUsPerRecord)),
        "-",
        "-",
      ],
      [
        "cosmos emulator (in-process)",
        String(COSMOS_RECORDS),
        String(result.cosmos.writes_per_s),
        "-",
        String(result.cosmos.aggregate_ms),
        "-",
      ],
    ];
    console.log(
      `sqlite: the serving log's writes (insertValidated, batches of ${LOG_BATCH}, ordered ids) cost ${result.sqlite.log_write_cpu_us} CPU-us per record (median of ${logWrites.records} records)`,
    );
    console.log(
      `sqlite: iterating ${sqliteJoined.pairs} joined pairs (both variants, time order) took ${Math.round(sqliteJoined.ms)} ms`,
    );
    const widths =
      rows[0]?.map((_, k) => Math.max(...rows.map((r) => (r[k] as string).length))) ?? [];
    for (const row of rows)
      console.log(row.map((cell, k) => cell.padEnd(widths[k] as number)).join("  "));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
