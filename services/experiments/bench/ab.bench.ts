/**
 * Analysis time for 1,000,000 prediction records (half per arm, every one with an outcome).
 *
 * 1. In memory: streaming the records into per-variant sufficient statistics, then SRM, the
 *    sequential and fixed-horizon tests, guardrails and the decision.
 * 2. On the embedded SQLite store (a temporary file, loaded before the clock starts):
 *    `analyzeExperiment` including the read, for an accuracy experiment (aggregate queries) and a
 *    log-loss one (which streams the joined pairs).
 *
 * Prints tables; run with `pnpm bench` (about two minutes, most of it loading SQLite; the
 * log-loss analysis, which reads every joined pair, runs once).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExperimentInput, OutcomeRecord, PredictionRecordInput } from "@mlops/contracts";
import { Random } from "@mlops/garch/random";
import { openSqliteStore, type Store } from "@mlops/store";
import {
  analyzeExperiment,
  decide,
  mergeVariantMetrics,
  type VariantMetrics,
  VariantMetricsAccumulator,
} from "../src/index.js";

const RECORDS = 1_000_000;
const REPEATS = 5;
/** Runs of each SQLite analysis: the aggregate path is fast, the pair-streaming one is not. */
const SQLITE_REPEATS = { accuracy: 3, log_loss: 1 } as const;

interface Records {
  readonly arm: Uint8Array;
  readonly latency: Float64Array;
  readonly failed: Uint8Array;
  readonly correct: Uint8Array;
  readonly logLoss: Float64Array;
}

function generate(seed: number): Records {
  const rng = new Random(seed);
  const r: Records = {
    arm: new Uint8Array(RECORDS),
    latency: new Float64Array(RECORDS),
    failed: new Uint8Array(RECORDS),
    correct: new Uint8Array(RECORDS),
    logLoss: new Float64Array(RECORDS),
  };
  for (let i = 0; i < RECORDS; i++) {
    const arm = rng.nextFloat() < 0.5 ? 0 : 1;
    r.arm[i] = arm;
    r.latency[i] = 5 - 20 * Math.log(1 - rng.nextFloat());
    r.failed[i] = rng.nextFloat() < 0.01 ? 1 : 0;
    r.correct[i] = rng.nextFloat() < (arm === 0 ? 0.8 : 0.81) ? 1 : 0;
    r.logLoss[i] = -Math.log(0.05 + 0.9 * rng.nextFloat());
  }
  return r;
}

function stream(r: Records, from: number, to: number): VariantMetrics[] {
  const accs = [
    new VariantMetricsAccumulator("champion"),
    new VariantMetricsAccumulator("challenger"),
  ];
  for (let i = from; i < to; i++) {
    const acc = accs[r.arm[i]!]!;
    const failed = r.failed[i] === 1;
    acc.addPrediction(r.latency[i]!, failed);
    if (!failed)
      acc.addOutcome({ correct: r.correct[i] as 0 | 1, value: null, logLoss: r.logLoss[i]! });
  }
  return accs.map((a) => a.metrics());
}

const experiment = {
  id: "bench",
  variants: [
    { name: "champion", weight: 50, model: "m@1" },
    { name: "challenger", weight: 50, model: "m@2" },
  ],
  primary_metric: "accuracy" as const,
  guardrails: [
    { metric: "error_rate" as const, max_relative_increase: 0.2 },
    { metric: "latency_mean_ms" as const, max_relative_increase: 0.1 },
  ],
  alpha: 0.05,
};

function time<T>(fn: () => T): [number, T] {
  const start = process.hrtime.bigint();
  const value = fn();
  return [Number(process.hrtime.bigint() - start) / 1e6, value];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const records = generate(2026);
const rows: [string, number[]][] = [
  ["stream 1M records → sufficient statistics", []],
  ["stream as 4 replicas of 250k + merge", []],
  ["decide (SRM, mSPRT, Welch, lift, guardrails)", []],
  ["total: stream + decide", []],
];
let decision = "";
for (let k = 0; k < REPEATS; k++) {
  const [tStream, metrics] = time(() => stream(records, 0, RECORDS));
  const [tReplicas] = time(() => {
    const parts = [0, 1, 2, 3].map((q) =>
      stream(records, (q * RECORDS) / 4, ((q + 1) * RECORDS) / 4),
    );
    return parts.reduce((acc, part) => acc.map((m, i) => mergeVariantMetrics(m, part[i]!)));
  });
  const [tDecide, result] = time(() => decide({ experiment, metrics }));
  decision = result.decision;
  rows[0]![1].push(tStream);
  rows[1]![1].push(tReplicas);
  rows[2]![1].push(tDecide);
  rows[3]![1].push(tStream + tDecide);
}

function printTable(title: string, table: readonly (readonly [string, number[]])[]): void {
  console.log(`\n${title}\n`);
  console.log("| step | median ms | min ms | max ms |");
  console.log("|---|---:|---:|---:|");
  for (const [label, ms] of table) {
    const cells = [median(ms), Math.min(...ms), Math.max(...ms)].map((x) => x.toFixed(2));
    console.log(`| ${label} | ${cells.join(" | ")} |`);
  }
}

console.log(`A/B analysis of ${RECORDS.toLocaleString("en-US")} records (Node ${process.version})`);
printTable(`In memory, ${REPEATS} runs; decision on the synthetic data: ${decision}`, rows);

/** Write the generated records into `store` as experiment `id`, in batches of 10,000. */
async function load(store: Store, id: string, r: Records): Promise<void> {
  const batch = 10_000;
  for (let start = 0; start < RECORDS; start += batch) {
    const predictions: PredictionRecordInput[] = [];
    const outcomes: OutcomeRecord[] = [];
    for (let i = start; i < Math.min(RECORDS, start + batch); i++) {
      const failed = r.failed[i] === 1;
      const request_id = `${id}-${i}`;
      // The outcome is always class "a" and the model gives it probability exp(−logLoss), so the
      // store's log-loss term reproduces the generated one; `correct` picks the predicted class.
      const pObserved = Math.exp(-r.logLoss[i]!);
      predictions.push({
        request_id,
        experiment_id: id,
        variant: r.arm[i] === 0 ? "champion" : "challenger",
        model_name: "m",
        model_version: r.arm[i] === 0 ? 1 : 2,
        user_id: null,
        prediction: failed ? null : r.correct[i] === 1 ? "a" : "b",
        probabilities: failed ? null : { a: pObserved, b: 1 - pObserved },
        latency_ms: r.latency[i]!,
        status: failed ? "error" : "ok",
        timestamp: 1_700_000_000_000 + i,
      });
      if (!failed) outcomes.push({ request_id, outcome: "a", timestamp: 1_700_000_000_000 + i });
    }
    await store.predictions.insertMany(predictions);
    await store.outcomes.insertMany(outcomes);
  }
}

const dir = mkdtempSync(join(tmpdir(), "ab-bench-"));
try {
  const store = openSqliteStore(join(dir, "platform.db"));
  const sqliteRows: [string, number[]][] = [];
  for (const primary of ["accuracy", "log_loss"] as const) {
    const id = `bench-${primary.replace("_", "-")}`;
    const definition: ExperimentInput = {
      ...experiment,
      id,
      primary_metric: primary,
      state: "running",
    };
    await store.experiments.create(definition);
    const loadStart = process.hrtime.bigint();
    await load(store, id, records);
    const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
    const ms: number[] = [];
    let outcome = "";
    for (let k = 0; k < SQLITE_REPEATS[primary]; k++) {
      const start = process.hrtime.bigint();
      const analysis = await analyzeExperiment(store, id);
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
      outcome = analysis.result.decision;
    }
    sqliteRows.push([`analyzeExperiment, ${primary} (read + decide) → ${outcome}`, ms]);
    sqliteRows.push([
      `  loading its ${RECORDS.toLocaleString("en-US")} records (setup, not timed above)`,
      [loadMs],
    ]);
  }
  await store.close();
  printTable(
    `SQLite file store, runs: accuracy ${SQLITE_REPEATS.accuracy}, log loss ${SQLITE_REPEATS.log_loss}`,
    sqliteRows,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
