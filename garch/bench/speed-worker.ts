/**
 * One process of `pnpm bench:garch`'s speed section: GARCH(1,1), constant mean, Normal fits of
 * one series, timed in this process after warm-up; prints one JSON line. The bench starts
 * several of these per length, since a process's median is what varies between processes.
 *
 *   tsx speed-worker.ts simulated N SEED REPS | tsx speed-worker.ts file PATH COLUMN REPS
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { readSeries } from "../io/csv.js";
import { checkSpec, fit, simulate } from "../src/index.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const [kind, a, b, repsArg] = process.argv.slice(2);
const x =
  kind === "simulated"
    ? simulate(checkSpec({}), { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] }, Number(a), {
        seed: Number(b),
      }).returns
    : readSeries(readFileSync(a!, "utf8"), b || undefined).values;
const reps = Number(repsArg);
// Warm-up, as the R side warms up too: until this length's code paths are compiled (at least
// 3 fits and 300 ms).
for (let i = 0, t0 = performance.now(); i < 30 && (i < 3 || performance.now() - t0 < 300); i++) {
  fit(x);
}
const wall: number[] = [];
const cpu: number[] = [];
let converged = true;
for (let i = 0; i < reps; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  converged &&= fit(x).converged;
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
process.stdout.write(
  `${JSON.stringify({ n: x.length, wallMs: median(wall), cpuMs: median(cpu), converged })}\n`,
);
