/**
 * One process of `pnpm bench:garch`'s speed section: GARCH(1,1), constant mean, Normal fits of
 * one series, timed in this process after warm-up; prints one JSON line. The bench starts
 * several of these per length, since a process's median is what varies between processes.
 *
 *   tsx speed-worker.ts simulated N SEED REPS | tsx speed-worker.ts file PATH COLUMN REPS
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { median, warmUp } from "../cli/timing.js";
import { readSeries } from "../io/csv.js";
import { checkSpec, fit, simulate } from "../src/index.js";

const [kind, a, b, repsArg] = process.argv.slice(2);
const x =
  kind === "simulated"
    ? simulate(checkSpec({}), { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] }, Number(a), {
        seed: Number(b),
      }).returns
    : readSeries(readFileSync(a!, "utf8"), b || undefined).values;
const reps = Number(repsArg);
warmUp(() => fit(x));
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
