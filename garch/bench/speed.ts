/**
 * `pnpm bench:garch`, section 3: GARCH(1,1), constant mean, Normal, full fits (standard errors
 * included). Each length runs in several separate processes (speed-worker.ts), since what
 * varies between runs of the same fit is the process: each warms up, then the processes time
 * batches of fits in turn (`timeProcesses`), and the table gives the fastest, the median and the slowest process beside R's
 * tseries and fGarch (one process each, their own in-process medians) and Python's arch: measured
 * in its own process when a source tree is named (arch.ts), otherwise interpolated from the
 * figures quoted for it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { table } from "../cli/report.js";
import { median } from "../cli/timing.js";
import { checkSpec, simulate } from "../src/index.js";
import { runArch } from "./arch.js";
import { hasR, runR, writeSeries } from "./r.js";

const here = dirname(fileURLToPath(import.meta.url));

/** A series to time: simulated (length n) or a column of a data file. */
export interface SpeedSeries {
  readonly label: string;
  readonly x: Float64Array;
  readonly worker: readonly string[];
}

export function simulatedSeries(n: number): SpeedSeries {
  const params = { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] };
  const x = simulate(checkSpec({}), params, n, { seed: n }).returns;
  return { label: n.toLocaleString("en-US"), x, worker: ["simulated", String(n), String(n)] };
}

export function fileSeries(
  label: string,
  path: string,
  column: string,
  x: Float64Array,
): SpeedSeries {
  return { label, x, worker: ["file", path, column] };
}

/** arch quoted in issue 20's predecessor: 11 ms at 2,000, 190 ms at 100,000, linear in between. */
const archLinear = (n: number) => 11 + ((190 - 11) * (n - 2000)) / (100000 - 2000);

/** Timed batches each process runs, in turn with the row's other processes. */
const ROUNDS = 10;
/** Length of one batch of fits (ms). */
const BATCH_MS = 100;

/** A live speed-worker.ts process, answering one JSON line per `batch` command. */
class Worker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(series: SpeedSeries) {
    this.#child = spawn(process.execPath, [
      "--import",
      "tsx",
      join(here, "speed-worker.ts"),
      ...series.worker,
    ]);
    let stderr = "";
    this.#child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    this.#child.on("exit", (code) => {
      if (code) process.stderr.write(`speed worker exited with ${code}: ${stderr}\n`);
    });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async #line(): Promise<string> {
    const next = await this.#lines.next();
    if (next.done) throw new Error("speed worker ended early (see its error above)");
    return next.value;
  }

  /** Resolves once the worker has warmed up. */
  async ready(): Promise<void> {
    const line = await this.#line();
    if (line !== "ready") throw new Error(`speed worker: expected "ready", got "${line}"`);
  }

  async batch(ms: number): Promise<{ wallMs: number[]; cpuMs: number[]; converged: boolean }> {
    this.#child.stdin.write(`batch ${ms}\n`);
    return JSON.parse(await this.#line());
  }

  /** Ends the worker; resolves once it has exited. */
  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null) resolve();
      else this.#child.once("exit", () => resolve());
      this.#child.stdin.end();
    });
  }
}

/** Per process of a row: the median wall and CPU time of its fits, and whether all converged. */
interface ProcessResult {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly converged: boolean;
}

/**
 * Times one series in `processes` live processes: each warms up (one after the other), then
 * they run ROUNDS batches of BATCH_MS each in turn, so every process's fits are spread over the
 * same stretch of time. The machine can slow down for seconds at a time (measured here: the
 * same optimised kernel on the same arrays in one process ran at 16.9 ns per observation, then
 * 25.6 for 1.6 s, then 16.9 again, with no compilation or deoptimisation in between): timed
 * back to back, a process that happened to fall in such a spell looked slow, though nothing
 * in it was. Turn by turn, a spell falls on every process alike; a process that is slow in
 * itself (V8's state, its memory) stays slow in every batch.
 */
async function timeProcesses(series: SpeedSeries, processes: number): Promise<ProcessResult[]> {
  const workers: Worker[] = [];
  for (let i = 0; i < processes; i++) {
    const worker = new Worker(series);
    await worker.ready();
    workers.push(worker);
  }
  const fits = workers.map(() => ({ wallMs: [] as number[], cpuMs: [] as number[], ok: true }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, worker] of workers.entries()) {
      const batch = await worker.batch(BATCH_MS);
      fits[i]!.wallMs.push(...batch.wallMs);
      fits[i]!.cpuMs.push(...batch.cpuMs);
      fits[i]!.ok &&= batch.converged;
    }
  }
  await Promise.all(workers.map((worker) => worker.end()));
  return fits.map((f) => ({ wallMs: median(f.wallMs), cpuMs: median(f.cpuMs), converged: f.ok }));
}

export interface SpeedRow {
  readonly series: string;
  readonly n: number;
  /** Per process: the median wall time of its timed fits (ms), sorted ascending. */
  readonly processMs: readonly number[];
  /** The same processes' median CPU time per fit (ms), sorted ascending. */
  readonly processCpuMs: readonly number[];
  readonly converged: boolean;
  readonly tseriesMs: number;
  readonly fgarchMs: number;
  /** Python's arch: measured (wall and CPU medians) when its tree was given, else NaN. */
  readonly archMs: number;
  readonly archCpuMs: number;
  readonly archLinearMs: number;
}

export async function speedRows(
  work: string,
  series: readonly SpeedSeries[],
  processes: number,
  archDir: string | null,
): Promise<SpeedRow[]> {
  const rows: SpeedRow[] = [];
  for (const s of series) {
    const n = s.x.length;
    const results = await timeProcesses(s, processes);
    let tseriesMs = Number.NaN;
    let fgarchMs = Number.NaN;
    if (hasR) {
      tseriesMs =
        runR(work, s.x, 1, 1, "normal", n <= 20_000 ? 9 : 3, "tseries")[0]?.fit_ms ?? tseriesMs;
      fgarchMs =
        runR(work, s.x, 1, 1, "normal", n <= 10_000 ? 3 : 1, "fgarch")[0]?.fit_ms ?? fgarchMs;
    }
    const arch = archDir
      ? runArch(archDir, writeSeries(work, s.x, "arch"), n <= 10_000 ? 15 : n <= 20_000 ? 9 : 5)
      : null;
    rows.push({
      series: s.label,
      n,
      processMs: results.map((r) => r.wallMs).sort((a, b) => a - b),
      processCpuMs: results.map((r) => r.cpuMs).sort((a, b) => a - b),
      converged: results.every((r) => r.converged),
      tseriesMs,
      fgarchMs,
      archMs: arch?.wall_ms ?? Number.NaN,
      archCpuMs: arch?.cpu_ms ?? Number.NaN,
      archLinearMs: archLinear(n),
    });
  }
  return rows;
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");

/** The section's table and notes; `archDir`: the arch tree measured, if any. */
export function speedReport(
  rows: readonly SpeedRow[],
  processes: number,
  archDir: string | null,
): string {
  const measured = archDir !== null;
  const head = [
    "series",
    "ours fastest",
    "ours median",
    "ours slowest",
    "slowest / fastest",
    "slowest (CPU)",
    "tseries",
    "tseries / slowest",
    "fGarch",
    ...(measured
      ? ["arch", "arch / slowest", "arch (CPU)", "arch / slowest (CPU)"]
      : ["arch (linear)", "arch / slowest"]),
  ];
  const body = rows.map((r) => {
    const fastest = r.processMs[0]!;
    const slowest = r.processMs[r.processMs.length - 1]!;
    const middle = r.processMs[r.processMs.length >> 1]!;
    const slowestCpu = r.processCpuMs[r.processCpuMs.length - 1]!;
    return [
      r.series,
      fmt(fastest, 3) + (r.converged ? "" : " (not converged)"),
      fmt(middle, 3),
      fmt(slowest, 3),
      fmt(slowest / fastest, 2),
      fmt(slowestCpu, 3),
      fmt(r.tseriesMs),
      fmt(r.tseriesMs / slowest, 1),
      fmt(r.fgarchMs, 0),
      ...(measured
        ? [
            fmt(r.archMs, 1),
            fmt(r.archMs / slowest, 1),
            fmt(r.archCpuMs, 1),
            fmt(r.archCpuMs / slowestCpu, 1),
          ]
        : [fmt(r.archLinearMs, 1), fmt(r.archLinearMs / slowest, 1)]),
    ];
  });
  const archNote = measured
    ? `   arch: Python's arch from ${archDir}, arch_model(y).fit(disp="off") (GARCH(1,1), constant mean, Normal), the median of its timed fits in its own process after warm-up, single-threaded BLAS; (CPU): its median CPU time per fit.`
    : "   arch (linear): Python's arch NOT measured (no --arch DIR or GARCH_BENCH_ARCH; see garch/README.md): interpolated linearly in n between the two figures quoted for it (11 ms at 2,000, 190 ms at 100,000).";
  return [
    `3. Speed: GARCH(1,1), constant mean, Normal, full fit incl. standard errors; each row ${processes} separate processes, each the median of its fits (ms): after warm-up, the processes time ${ROUNDS} batches of ${BATCH_MS} ms each in turn`,
    table([head, ...body]),
    "   slowest (CPU): the slowest process's median CPU time per fit (user + system, all threads): unlike wall time, not inflated by other processes on a busy machine.",
    archNote,
  ].join("\n");
}
