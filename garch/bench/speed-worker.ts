/**
 * One process of `pnpm bench:garch`'s speed section: GARCH(1,1), constant mean, Normal fits of
 * one series. It warms up, prints `ready`, then for each line `batch MS` on stdin times fits
 * for MS milliseconds (at least one) and prints one JSON line with each fit's wall and CPU
 * time; it exits at the end of stdin. The bench keeps several of these alive and asks them for
 * batches in turn (speed.ts).
 *
 *   tsx speed-worker.ts simulated N SEED | tsx speed-worker.ts file PATH COLUMN
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { warmUp } from "../cli/timing.js";
import { readSeries } from "../io/csv.js";
import { checkSpec, fit, simulate } from "../src/index.js";

const [kind, a, b] = process.argv.slice(2);
const x =
  kind === "simulated"
    ? simulate(checkSpec({}), { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] }, Number(a), {
        seed: Number(b),
      }).returns
    : readSeries(readFileSync(a!, "utf8"), b || undefined).values;
warmUp(() => fit(x));
process.stdout.write("ready\n");

for await (const line of createInterface({ input: process.stdin })) {
  const [command, msArg] = line.trim().split(/\s+/);
  if (command !== "batch") throw new Error(`speed worker: unknown command "${line}"`);
  const ms = Number(msArg);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  let converged = true;
  const start = performance.now();
  do {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    converged &&= fit(x).converged;
    wallMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  } while (performance.now() - start < ms);
  process.stdout.write(`${JSON.stringify({ n: x.length, wallMs, cpuMs, converged })}\n`);
}
// End of stdin: leave at once (the loader's timers would keep the process alive a while longer,
// beside the reference tools the bench times next).
process.exit(0);
