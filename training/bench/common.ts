/** Helpers shared by the benchmark scripts. */
import { fileURLToPath } from "node:url";
import { fitGbdt, type GbdtFitOptions, type GbdtOptions, type TrainingData } from "../src/index.js";

/** The demo classification set every benchmark fits by default. */
export const DEMO_DATA: string = fileURLToPath(
  new URL("../data/demo-classification.csv", import.meta.url),
);

/** `parseArgs` options of the benchmarks that fit a data set: seed, file, label column, JSON. */
export const DATA_OPTIONS = {
  seed: { type: "string", default: "42" },
  data: { type: "string", default: DEMO_DATA },
  label: { type: "string", default: "label" },
  json: { type: "boolean", default: false },
} as const;

/** A plain-text table for the benchmarks: a header row, a rule, and cells padded to each column. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
  const line = (cells: readonly string[]) => cells.map((c, j) => c.padEnd(widths[j])).join(" | ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** The median of `xs` (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** `text` as an integer ≥ `min`, or a RangeError naming the flag. */
export function positiveInteger(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`${flag} must be an integer ≥ ${min} (got ${text})`);
  }
  return n;
}

/** One timed fit, as the gbdt bench's processes report it. */
export interface Timed {
  wall_ms: number;
  /** The process's CPU time (all its threads). */
  cpu_ms: number;
  accuracy: number;
}

/** Share of `predicted` equal to `y`. */
export function accuracyOf(predicted: Int32Array, y: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) correct++;
  return correct / y.length;
}

/** One gbdt fit timed: wall clock and the process's CPU time. */
export async function timedFit(data: TrainingData, options: GbdtOptions, fit: GbdtFitOptions = {}) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await fitGbdt(data, options, fit);
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { result, wall_ms: wall, cpu_ms: (used.user + used.system) / 1000 };
}
