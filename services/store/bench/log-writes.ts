/**
 * CPU a prediction-log write costs per record on SQLite, as the serving log pays it: batches of
 * 500 records valid by construction (`insertValidated`), time-ordered request ids shaped like
 * UUIDv7 (the serving process's ids), about one record in a hundred whose outcome was posted
 * first, the other outcomes (half the records have one) posted after their round. In-process, without the writer thread: the figure is the CPU time of the thread that
 * writes (`process.threadCpuUsage`, as a server's writer thread would spend it) per record, the
 * median over rounds; it depends much less on other load than wall time does.
 */
import { join } from "node:path";
import type { PredictionRecord } from "@mlops/contracts";
import { Random } from "@mlops/garch";
import { openSqliteStore } from "../src/sqlite/sqlite-store.js";
import { generatePredictionLogs } from "../test-support/prediction-logs.js";

export const LOG_BATCH = 500;
const BATCHES_PER_ROUND = 20;
const ROUNDS = 7;
/** Untimed rounds first: the JIT, the page cache and the statement cache warm up. */
const WARM_ROUNDS = 2;
/** One record in this many has its outcome stored before the record is logged. */
const EARLY_EVERY = 100;

/** What the measurement found. */
export interface LogWriteCost {
  /** Median CPU microseconds per record. */
  readonly cpuUsPerRecord: number;
  readonly records: number;
}

/** Ids like UUIDv7's: 48 bits of milliseconds, then random hex with the version/variant digits. */
function orderedIds(seed: number, timestamps: readonly number[]): string[] {
  const rng = new Random(seed);
  const hex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(rng.nextFloat() * 16).toString(16)).join("");
  return timestamps.map((ms) => {
    const t = ms.toString(16).padStart(12, "0");
    return `${t.slice(0, 8)}-${t.slice(8)}-7${hex(3)}-a${hex(3)}-${hex(12)}`;
  });
}

/** Measure in a fresh file under `dir`. */
export async function measureLogWrites(dir: string): Promise<LogWriteCost> {
  const store = openSqliteStore(join(dir, "log-writes.db"));
  const perRound = LOG_BATCH * BATCHES_PER_ROUND;
  const samples: number[] = [];
  try {
    for (let round = 0; round < WARM_ROUNDS + ROUNDS; round++) {
      const traffic = generatePredictionLogs({
        seed: 100 + round,
        count: perRound,
        first: round * perRound,
        experimentId: "log-writes",
      });
      const ids = orderedIds(
        round,
        traffic.predictions.map((p) => p.timestamp),
      );
      const records: PredictionRecord[] = traffic.predictions.map((p, i) => ({
        ...p,
        request_id: ids[i] as string,
      }));
      const outcomes = traffic.outcomes.map((o) => {
        const i = Number(o.request_id.slice(-6)) - round * perRound;
        return { outcome: { ...o, request_id: ids[i] as string }, early: i % EARLY_EVERY === 0 };
      });
      await store.outcomes.insertMany(outcomes.filter((o) => o.early).map((o) => o.outcome));
      const start = process.threadCpuUsage();
      for (let i = 0; i < records.length; i += LOG_BATCH) {
        await store.predictions.insertValidated(records.slice(i, i + LOG_BATCH));
      }
      const cpu = process.threadCpuUsage(start);
      if (round >= WARM_ROUNDS) samples.push((cpu.user + cpu.system) / perRound);
      // The rest arrive later, as they do on a server: the outcome table grows with the log.
      await store.outcomes.insertMany(outcomes.filter((o) => !o.early).map((o) => o.outcome));
    }
  } finally {
    await store.close();
  }
  samples.sort((a, b) => a - b);
  return {
    cpuUsPerRecord: samples[Math.floor(samples.length / 2)] as number,
    records: samples.length * perRound,
  };
}
