/**
 * `pnpm bench:serve`: the prediction API under load on loopback, serving `pnpm start`'s models.
 *
 * Registers the demo models in a temporary directory (training's `runDemoJob`, as `pnpm start`
 * does: a random forest of 100 trees as champion, gradient-boosted trees of 100 rounds as
 * challenger), then starts the server (`@mlops/serving`'s process entry, under tsx) as its own
 * process, once with each classifier as the champion taking all traffic (split mode, challenger
 * weight 0), and measures cold start to ready, RSS at rest, and `POST /predict` (5 features,
 * prediction logging on) with autocannon at 1, 32 and 128 connections, cycling over rows of the
 * demo data's test split. Prints one table, the boosted-trees champion's rows beside the
 * forest's, and the ratio of their throughputs.
 *
 *   pnpm --filter @mlops/start bench [-- --seconds 10 --connections 1,32,128 --workers auto]
 *
 * autocannon runs in this process, on the same cores as the server: figures are lower than with
 * a native load generator such as wrk (see the report for the reference harness).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DEMO_MODELS, parseServingConfig } from "@mlops/contracts";
import { freePort } from "@mlops/contracts/test-support";
import { DEMO_DATA, loadDataset, takeRows } from "@mlops/training";
import autocannon from "autocannon";
import { registerDemoModels, rssMiB, waitFor200 } from "./process-tree.js";

const { values } = parseArgs({
  // pnpm forwards its `--` separator; drop it so `pnpm bench -- --seconds 5` works.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "1,32,128" },
    workers: { type: "string", default: "auto" },
  },
});
const seconds = Number(values.seconds);
const connectionSets = values.connections.split(",").map(Number);
if (!(seconds >= 1 && seconds <= 120) || connectionSets.some((c) => !(c >= 1 && c <= 1024))) {
  throw new RangeError("--seconds must be 1..120 and --connections a list of 1..1024");
}

// tsx as a loader in the server's own process (its CLI would add a parent process), so the
// pid whose RSS is read is the server's.
const require = createRequire(import.meta.url);
const tsxLoader = pathToFileURL(require.resolve("tsx/esm")).href;
const SERVER = require.resolve("@mlops/serving/main");

/** Spawns the server and resolves with it and the milliseconds until /health/ready said 200. */
async function startServer(env: Record<string, string>, url: string) {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ["--import", tsxLoader, SERVER], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitFor200(child, `${url}/health/ready`);
  return { child, coldStartMs: performance.now() - started };
}

const dir = await mkdtemp(join(tmpdir(), "mlops-serve-bench-"));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const env = {
  HOST: "127.0.0.1",
  PORT: String(port),
  MLOPS_STORE: `sqlite:${join(dir, "platform.db")}`,
  MLOPS_ARTIFACT_DIR: join(dir, "artifacts"),
  MLOPS_GARCH_MODEL: `${DEMO_MODELS.garch}@champion`,
  // Every request to the champion, so each run measures one algorithm.
  MLOPS_CHALLENGER_WEIGHT: "0",
  // As `pnpm start` runs: one process per core unless --workers says otherwise.
  MLOPS_WORKERS: values.workers,
  LOG_LEVEL: "warn",
};
/** The demo's two classifiers, each measured as the champion (the other one is the challenger). */
const classifier = DEMO_MODELS.classifier;
const CHAMPIONS = [
  {
    algorithm: "forest (100 trees)",
    champion: `${classifier}@champion`,
    challenger: `${classifier}@challenger`,
  },
  {
    algorithm: "gbdt (100 rounds)",
    champion: `${classifier}@challenger`,
    challenger: `${classifier}@champion`,
  },
] as const;
let child: ChildProcess | undefined;
try {
  await registerDemoModels(env);

  const dataset = await loadDataset(DEMO_DATA.classification, { label: "label" });
  const test = takeRows(dataset, dataset.split.test.subarray(0, 1024));
  const nf = dataset.featureNames.length;
  const requests = Array.from({ length: 1024 }, (_, i) => ({
    method: "POST" as const,
    path: "/predict",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      features: Array.from(test.x.subarray(i * nf, (i + 1) * nf)),
      user_id: `user-${i}`,
    }),
  }));

  const rows: string[][] = [];
  const throughput: number[][] = [];
  const starts: string[] = [];
  let dropped = 0;
  for (const arm of CHAMPIONS) {
    const server = await startServer(
      { ...env, MLOPS_CHAMPION_MODEL: arm.champion, MLOPS_CHALLENGER_MODEL: arm.challenger },
      url,
    );
    child = server.child;
    const pid = child.pid!;
    // Warm the JIT and the connection path before measuring anything but the cold start.
    await autocannon({ url, connections: 8, amount: 2000, requests });
    const restRss = await rssMiB(pid);
    const perConnections: number[] = [];
    for (const connections of connectionSets) {
      let peakRss = 0;
      const sampler = setInterval(async () => {
        peakRss = Math.max(peakRss, await rssMiB(pid));
      }, 200);
      const result = await autocannon({ url, connections, duration: seconds, requests });
      clearInterval(sampler);
      const errors = result.errors + result.timeouts + result.non2xx;
      perConnections.push(result.requests.average);
      rows.push([
        arm.algorithm,
        String(connections),
        result.requests.average.toFixed(0),
        result.latency.p50.toFixed(2),
        result.latency.p99.toFixed(2),
        String(errors),
        peakRss.toFixed(0),
      ]);
    }
    throughput.push(perConnections);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    dropped += Number(/^prediction_log_dropped_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    starts.push(
      `${arm.algorithm}: cold start to ready ${server.coldStartMs.toFixed(0)} ms, RSS at rest (all processes) ${restRss.toFixed(0)} MiB`,
    );
    child.kill("SIGTERM");
    if (child.exitCode === null) await new Promise((r) => child!.once("exit", r));
    child = undefined;
  }
  const workers = parseServingConfig(env).workers;
  const [forest, gbdt] = throughput as [number[], number[]];
  const ratios = connectionSets
    .map((c, i) => `${c}: ${(gbdt[i]! / forest[i]!).toFixed(2)}x`)
    .join(", ");

  const header = ["champion", "connections", "req/s", "p50 ms", "p99 ms", "errors", "peak RSS MiB"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  process.stdout.write(
    [
      `POST /predict, 5 features, all traffic to the champion, prediction logging on, MLOPS_WORKERS=${workers}, ${seconds} s per row (autocannon, loopback)`,
      line(header),
      ...rows.map(line),
      "",
      `gbdt champion req/s / forest champion req/s by connections: ${ratios}`,
      ...starts,
      `prediction-log drops (both runs): ${dropped}`,
      "",
    ].join("\n"),
  );
} finally {
  child?.kill("SIGTERM");
  if (child && child.exitCode === null) await new Promise((r) => child!.once("exit", r));
  await rm(dir, { recursive: true, force: true });
}
