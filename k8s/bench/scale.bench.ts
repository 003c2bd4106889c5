/**
 * Replays the standard traffic traces against the default autoscaling
 * behaviour and prints what a reviewer needs to judge it: capacity lag, peak
 * per-pod load, flapping and cost. Run: `pnpm --filter @mlops/k8s bench`.
 */
import { simulate } from "../src/hpa-simulator.js";
import { DEFAULT_SCALING } from "../src/scaling.js";
import { standardTraces } from "../src/traces.js";

const BARS = "▁▂▃▄▅▆▇█";

/** Replicas over time as one line: one bar per `points`-th of the replay. */
function sparkline(values: readonly number[], max: number, points: number): string {
  const step = Math.max(1, Math.floor(values.length / points));
  let line = "";
  for (let i = 0; i < values.length; i += step) {
    const v = Math.max(...values.slice(i, i + step));
    line += BARS[Math.min(BARS.length - 1, Math.floor((v / max) * BARS.length))];
  }
  return line;
}

const target = DEFAULT_SCALING.targetRequestsPerSecond;
const rows = standardTraces().map((trace) => ({ trace, report: simulate(trace, DEFAULT_SCALING) }));

console.log(
  `HPA simulator: min ${DEFAULT_SCALING.minReplicas} / max ${DEFAULT_SCALING.maxReplicas}, target ${target} req/s per pod, tolerance 0.1, sync 15 s, pod start-up 30 s, metric window 30 s\n`,
);
const header = [
  "trace",
  "length",
  "replicas min-max",
  "time to capacity (s)",
  "peak per-pod (req/s)",
  "s over target",
  "direction changes",
  "pod-hours",
];
const table = rows.map(({ trace, report }) => [
  trace.name,
  `${(trace.durationSeconds / 3600).toFixed(1)} h`,
  `${report.minReplicasSeen}-${report.maxReplicasSeen}`,
  String(report.timeToCapacitySeconds),
  report.peakPerPodLoad.toFixed(1),
  String(report.secondsOverTarget),
  String(report.directionChanges),
  report.podHours.toFixed(1),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of table) console.log(line(r));

console.log(
  `\nreplicas over time (${BARS[0]} = 0 … ${BARS.at(-1)} = ${DEFAULT_SCALING.maxReplicas})`,
);
for (const { trace, report } of rows) {
  const replicas = report.samples.map((s) => s.replicas);
  console.log(`${trace.name.padEnd(12)} ${sparkline(replicas, DEFAULT_SCALING.maxReplicas, 72)}`);
}
