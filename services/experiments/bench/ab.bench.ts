/**
 * Analysis time for 1,000,000 prediction records (half per arm, every one with an outcome):
 * streaming them into per-variant sufficient statistics, then SRM, the sequential and
 * fixed-horizon tests, guardrails and the decision. Records are generated before the clock
 * starts; the store read is not included yet (in memory). Prints a table; run with `pnpm bench`.
 */
import {
  decide,
  mergeVariantMetrics,
  seededUniform,
  type VariantMetrics,
  VariantMetricsAccumulator,
} from "../src/index.js";

const RECORDS = 1_000_000;
const REPEATS = 5;

interface Records {
  readonly arm: Uint8Array;
  readonly latency: Float64Array;
  readonly failed: Uint8Array;
  readonly correct: Uint8Array;
  readonly logLoss: Float64Array;
}

function generate(seed: number): Records {
  const u = seededUniform(seed);
  const r: Records = {
    arm: new Uint8Array(RECORDS),
    latency: new Float64Array(RECORDS),
    failed: new Uint8Array(RECORDS),
    correct: new Uint8Array(RECORDS),
    logLoss: new Float64Array(RECORDS),
  };
  for (let i = 0; i < RECORDS; i++) {
    const arm = u() < 0.5 ? 0 : 1;
    r.arm[i] = arm;
    r.latency[i] = 5 - 20 * Math.log(1 - u());
    r.failed[i] = u() < 0.01 ? 1 : 0;
    r.correct[i] = u() < (arm === 0 ? 0.8 : 0.81) ? 1 : 0;
    r.logLoss[i] = -Math.log(0.05 + 0.9 * u());
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

console.log(
  `A/B analysis of ${RECORDS.toLocaleString("en-US")} records, ${REPEATS} runs (Node ${process.version})`,
);
console.log(`decision on the synthetic data: ${decision}\n`);
console.log(`| step | median ms | min ms | max ms |`);
console.log(`|---|---:|---:|---:|`);
for (const [label, ms] of rows) {
  console.log(
    `| ${label} | ${median(ms).toFixed(2)} | ${Math.min(...ms).toFixed(2)} | ${Math.max(...ms).toFixed(2)} |`,
  );
}
