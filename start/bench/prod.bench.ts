/**
 * `pnpm bench:prod`: the serving image's process beside the reference (FastAPI + scikit-learn,
 * two uvicorn workers) in one run, on the same machine, under the same load.
 *
 * Ours runs exactly as services/serving/Dockerfile's runtime stage says: its `CMD` (plain `node`,
 * its flags, the compiled `dist/main.js` of `pnpm build`) and its `ENV` (NODE_ENV=production…),
 * with two workers and `pnpm start`'s models registered in a temporary store. The reference runs
 * as its README says, on a model its `train.py` fits (cached under `.bench/`). For each: time from
 * exec to the first 200 on the readiness path (median of three starts), RSS of the whole process
 * tree at rest and at its peak under 32 connections, and `POST /predict` with wrk (the reference
 * harness's script and payloads: 1,024 rows of the test split) at 1, 32 and 128 connections,
 * with the CPU time the process tree spent per request (the figure contention skews least).
 *
 * Then, with the reference measured, `--passes` alternated rounds at 32 connections (default 3):
 * both servers up, each round loading one and then the other, the order reversed every round
 * (ABBA), so that the machine's drift over minutes falls on both alike. The reference's own
 * throughput moves by up to 4× between rounds (one uvicorn worker may hold most connections), so
 * the rounds' ratios are the figures to read, not one level's: their median, and the
 * conservative one, this server's median against the reference's best round.
 *
 * With `--floor`, two more servers run the same load (services/serving/bench/floor-server.ts):
 * Fastify and node:http alone, parsing each body and answering a fixed prediction with the same
 * two workers. They are the floor under ours, what the HTTP exchange costs on this machine with
 * wrk beside it, and show how much of a request's CPU is the service's own work.
 *
 *   pnpm bench:prod [-- --seconds 10 --passes 3 --reference ../shared/reference/serving-fastapi --floor]
 *
 * Needs Debian's `wrk`, and for the reference `python3-fastapi python3-uvicorn python3-sklearn`
 * (without them its column is skipped). wrk shares the two cores with the servers.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEMO_MODELS } from "@mlops/contracts";
import { freePort } from "@mlops/contracts/test-support";
import { cpuMs, registerDemoModels, rssMiB, waitFor200 } from "./process-tree.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVING = join(ROOT, "services", "serving");
const PYTHON = "/usr/bin/python3";

/** A bad option ends the run before anything starts, with the option and its rule. */
function usage(problem: string): never {
  process.stderr.write(`bench:prod: ${problem}\n`);
  process.exit(2);
}
const { values } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((a) => a !== "--"),
      options: {
        seconds: { type: "string", default: "10" },
        reference: {
          type: "string",
          default: join(ROOT, "..", "shared", "reference", "serving-fastapi"),
        },
        floor: { type: "boolean", default: false },
        passes: { type: "string", default: "3" },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const seconds = Number(values.seconds);
if (!(seconds >= 2 && seconds <= 120)) usage(`--seconds must be 2..120, got ${values.seconds}`);
const passes = Number(values.passes);
if (!(Number.isInteger(passes) && passes >= 0 && passes <= 20)) {
  usage(`--passes must be an integer 0..20, got ${values.passes}`);
}
const referenceDir = resolve(values.reference);
const CONNECTIONS = [1, 32, 128] as const;
const STARTS = 3;

if (spawnSync("wrk", ["-v"]).error) {
  process.stderr.write("bench:prod needs wrk: apt-get install -y wrk\n");
  process.exit(1);
}

/** What a server under test is: how to start it and where it answers. */
interface Target {
  readonly label: string;
  readonly command: string;
  readonly args: (port: number) => readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly readyPath: string;
}

interface Level {
  readonly connections: number;
  readonly rps: number;
  /** Requests wrk completed in the level. */
  readonly requests: number;
  /**
   * CPU time (user + system, all threads) the process tree used per completed request, in µs:
   * what a request costs whatever else the machine runs, where requests/s falls with contention.
   */
  readonly cpuUsPerRequest: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly peakRss: number;
}

interface Result {
  readonly startMs: number[];
  /** CPU time the process tree had used when it was ready, per start. */
  readonly startCpuMs: number[];
  readonly restRss: number;
  readonly levels: Level[];
}

/** The runtime stage of a Dockerfile: its ENV and its exec-form CMD. */
async function imageRuntime(
  dockerfile: string,
): Promise<{ env: Record<string, string>; cmd: string[] }> {
  const lines = (await readFile(dockerfile, "utf8")).replace(/\\\n/g, " ").split("\n");
  const stage = lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));
  const env: Record<string, string> = {};
  for (const line of stage.filter((l) => /^ENV\s/i.test(l))) {
    for (const [, key, value] of line.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      env[key!] = value!.replace(/^"|"$/g, "");
    }
  }
  const cmd = stage.find((l) => /^CMD\s/i.test(l));
  if (!cmd) throw new Error(`${dockerfile}: no CMD in the runtime stage`);
  return { env, cmd: JSON.parse(cmd.replace(/^CMD\s+/i, "")) as string[] };
}

/** Parses wrk's `--latency` report: requests/s, p50 and p99 in ms, failed requests. */
function parseWrk(text: string): Omit<Level, "connections" | "peakRss" | "cpuUsPerRequest"> {
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (!m) return Number.NaN;
    return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as const)[m[2] as "us" | "ms" | "s"];
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0) +
    (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]),
    requests: Number(/(\d+) requests in /.exec(text)?.[1]),
    p50: ms("50"),
    p99: ms("99"),
    errors,
  };
}

function wrk(url: string, connections: number, duration: number, script: string, payloads: string) {
  return new Promise<string>((resolveRun, reject) => {
    const threads = String(Math.min(2, connections));
    const child = spawn(
      "wrk",
      [
        "-t",
        threads,
        "-c",
        String(connections),
        "-d",
        `${duration}s`,
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        `${url}/predict`,
      ],
      { env: { ...process.env, PAYLOADS: payloads }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolveRun(out) : reject(new Error(`wrk exited ${code}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGTERM");
  await exited;
}

/** Starts `target` in a new process group; resolves once its readiness path says 200. */
async function start(
  target: Target,
  port: number,
): Promise<{ child: ChildProcess; ms: number; cpu: number }> {
  const started = performance.now();
  const child = spawn(target.command, target.args(port), {
    cwd: target.cwd,
    env: { PATH: process.env.PATH ?? "", ...target.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  await waitFor200(child, `http://127.0.0.1:${port}${target.readyPath}`);
  const ms = performance.now() - started;
  return { child, ms, cpu: await cpuMs(child.pid!) };
}

/** 3 s at 32 connections, not recorded: the JIT and the caches warm up. */
const warmUp = (url: string, script: string, payloads: string) => wrk(url, 32, 3, script, payloads);

/** One level: wrk at `connections` for `seconds`, and the CPU the process tree spent on it. */
async function load(
  child: ChildProcess,
  url: string,
  connections: number,
  script: string,
  payloads: string,
): Promise<Omit<Level, "peakRss">> {
  const cpuBefore = await cpuMs(child.pid!);
  const report = await wrk(url, connections, seconds, script, payloads);
  const cpuUsed = (await cpuMs(child.pid!)) - cpuBefore;
  const parsed = parseWrk(report);
  return { connections, cpuUsPerRequest: (cpuUsed * 1000) / parsed.requests, ...parsed };
}

async function measure(target: Target, script: string, payloads: string): Promise<Result> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const startMs: number[] = [];
  const startCpuMs: number[] = [];
  for (let i = 0; i < STARTS - 1; i++) {
    const { child, ms, cpu } = await start(target, port);
    startMs.push(ms);
    startCpuMs.push(cpu);
    await stop(child);
  }
  const { child, ms, cpu } = await start(target, port);
  startMs.push(ms);
  startCpuMs.push(cpu);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const restRss = await rssMiB(child.pid!);
    await warmUp(url, script, payloads);
    const levels: Level[] = [];
    for (const connections of CONNECTIONS) {
      let peakRss = 0;
      const sampler = setInterval(async () => {
        peakRss = Math.max(peakRss, await rssMiB(child.pid!));
      }, 250);
      const level = await load(child, url, connections, script, payloads);
      clearInterval(sampler);
      levels.push({ ...level, peakRss });
    }
    return { startMs, startCpuMs, restRss, levels };
  } finally {
    await stop(child);
  }
}

/** Ours: the image's runtime stage, on `pnpm start`'s models in `dir`. */
async function ours(dir: string): Promise<Target> {
  const { env, cmd } = await imageRuntime(join(SERVING, "Dockerfile"));
  const [command, ...args] = cmd;
  if (command !== "node") throw new Error(`the image's CMD runs ${command}, not node`);
  const serving = {
    ...env,
    HOST: "127.0.0.1",
    MLOPS_STORE: `sqlite:${join(dir, "platform.db")}`,
    MLOPS_ARTIFACT_DIR: join(dir, "artifacts"),
    MLOPS_GARCH_MODEL: `${DEMO_MODELS.garch}@champion`,
    MLOPS_CHALLENGER_WEIGHT: "50",
    MLOPS_WORKERS: "2",
    LOG_LEVEL: "warn",
  };
  await registerDemoModels(serving);
  return {
    label: "this",
    command: process.execPath,
    args: () => args,
    env: serving,
    cwd: SERVING,
    readyPath: "/health/ready",
  };
}

/** A floor server (`kind`: fastify or node) with the image's two workers. */
function floor(kind: "fastify" | "node"): Target {
  return {
    label: `${kind === "node" ? "node:http" : "Fastify"} floor`,
    command: process.execPath,
    args: () => [join(SERVING, "bench", "floor-server.ts")],
    env: { NODE_ENV: "production", FLOOR: kind },
    cwd: SERVING,
    readyPath: "/health/ready",
  };
}

/** The reference, as its README runs it, on a model its train.py fits once into `.bench/`. */
function reference(): Target | string {
  const harness = join(referenceDir, "harness");
  if (!existsSync(join(harness, "app", "main.py")))
    return `no reference at ${referenceDir} (--reference)`;
  const probe = spawnSync(PYTHON, ["-c", "import fastapi, uvicorn, sklearn, joblib"]);
  if (probe.status !== 0)
    return "Debian's python3-fastapi python3-uvicorn python3-sklearn are not installed";
  const modelDir = join(ROOT, ".bench", "reference-model");
  if (!existsSync(join(modelDir, "model.joblib"))) {
    process.stderr.write("training the reference model (its train.py)…\n");
    const train = spawnSync(PYTHON, [join(harness, "train.py")], {
      env: { ...process.env, MODEL_DIR: modelDir },
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (train.status !== 0) return "the reference's train.py failed";
  }
  return {
    label: "reference",
    command: PYTHON,
    args: (port) => [
      ...["-m", "uvicorn", "app.main:app", "--app-dir", harness, "--host", "127.0.0.1"],
      ...["--port", String(port), "--workers", "2", "--no-access-log", "--log-level", "warning"],
    ],
    env: { MODEL_PATH: join(modelDir, "model.joblib") },
    cwd: referenceDir,
    readyPath: "/health",
  };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One alternated round: each server's level at 32 connections. */
type Round = Record<"reference" | "this", Omit<Level, "peakRss">>;

/**
 * `passes` rounds at 32 connections with both servers up, the order reversed every round (ABBA),
 * after a warm-up of each.
 */
async function alternate(
  targets: Record<"reference" | "this", Target>,
  script: string,
  payloads: string,
): Promise<Round[]> {
  const names = ["reference", "this"] as const;
  const up: Partial<Record<(typeof names)[number], { child: ChildProcess; url: string }>> = {};
  try {
    for (const name of names) {
      const port = await freePort();
      up[name] = {
        child: (await start(targets[name], port)).child,
        url: `http://127.0.0.1:${port}`,
      };
    }
    for (const name of names) await warmUp(up[name]!.url, script, payloads);
    const rounds: Round[] = [];
    for (let r = 0; r < passes; r++) {
      const round: Partial<Round> = {};
      for (const name of r % 2 === 0 ? names : [...names].reverse()) {
        const { child, url } = up[name]!;
        round[name] = await load(child, url, 32, script, payloads);
      }
      rounds.push(round as Round);
    }
    return rounds;
  } finally {
    for (const server of Object.values(up)) await stop(server.child);
  }
}

/** What a row of the rounds' table shows: each side's level and this one's ratio. */
type RoundRow = Record<"reference" | "this", Pick<Level, "rps" | "cpuUsPerRequest" | "p99">> & {
  readonly ratio: number;
};

function roundsTable(rounds: readonly Round[]): string {
  const cells = (label: string, { reference: ref, this: ours, ratio }: RoundRow) => [
    label,
    ref.rps.toFixed(0),
    ours.rps.toFixed(0),
    `${ratio.toFixed(1)}×`,
    `${ref.cpuUsPerRequest.toFixed(0)} / ${ours.cpuUsPerRequest.toFixed(0)}`,
    `${ref.p99.toFixed(1)} / ${ours.p99.toFixed(1)}`,
  ];
  // Each column's median over the rounds (the ratio's too, not the ratio of the medians).
  const side = (name: "reference" | "this") => ({
    rps: median(rounds.map((r) => r[name].rps)),
    cpuUsPerRequest: median(rounds.map((r) => r[name].cpuUsPerRequest)),
    p99: median(rounds.map((r) => r[name].p99)),
  });
  const ratioOf = (r: Round) => r.this.rps / r.reference.rps;
  // The reference at its best: rounds in its erratic mode (one uvicorn worker holding most
  // connections, 80-120 requests/s) can carry the median of the ratios; this row cannot.
  const best = rounds.reduce((a, b) => (b.reference.rps > a.reference.rps ? b : a)).reference;
  const ours = side("this");
  return formatRows([
    [
      "round",
      "reference req/s",
      "this req/s",
      "this / reference",
      "CPU µs/request (ref / this)",
      "p99 ms (ref / this)",
    ],
    ...rounds.map((r, i) => cells(String(i + 1), { ...r, ratio: ratioOf(r) })),
    cells("median", {
      reference: side("reference"),
      this: ours,
      ratio: median(rounds.map(ratioOf)),
    }),
    cells("median / reference's best", { reference: best, this: ours, ratio: ours.rps / best.rps }),
  ]);
}

/** Rows as aligned columns: the first left-aligned, the others right-aligned. */
function formatRows(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "),
    )
    .join("\n");
}

function table(results: ReadonlyMap<string, Result>): string {
  const names = [...results.keys()];
  const ratio = results.has("reference") && results.has("this");
  const rows: string[][] = [["", ...names, ...(ratio ? ["this / reference"] : [])]];
  const row = (label: string, pick: (r: Result) => number, digits: number, showRatio = true) => {
    const cells = names.map((n) => pick(results.get(n)!).toFixed(digits));
    if (ratio) {
      const [ref, ours] = [pick(results.get("reference")!), pick(results.get("this")!)];
      cells.push(showRatio ? `${(ours / ref).toFixed(2)}×` : "");
    }
    rows.push([label, ...cells]);
  };
  row("exec → ready, ms (median of 3)", (r) => median(r.startMs), 0);
  row("CPU used by then, ms (median of 3)", (r) => median(r.startCpuMs), 0);
  row("RSS at rest, MiB (process tree)", (r) => r.restRss, 0);
  row(
    "RSS peak at 32 connections, MiB",
    (r) => r.levels.find((l) => l.connections === 32)!.peakRss,
    0,
  );
  for (const c of CONNECTIONS) {
    const level = (r: Result) => r.levels.find((l) => l.connections === c)!;
    row(`req/s at ${c}`, (r) => level(r).rps, 0);
    row(`p50 ms at ${c}`, (r) => level(r).p50, 2);
    row(`p99 ms at ${c}`, (r) => level(r).p99, 2);
    row(`CPU µs per request at ${c} (process tree)`, (r) => level(r).cpuUsPerRequest, 0);
    row(`errors at ${c}`, (r) => level(r).errors, 0, false);
  }
  return formatRows(rows);
}

const dir = await mkdtemp(join(tmpdir(), "mlops-prod-bench-"));
try {
  process.stderr.write("building (pnpm build)…\n");
  const build = spawnSync(
    process.execPath,
    [join(ROOT, "scripts", "build.ts"), "services/serving"],
    {
      stdio: "inherit",
    },
  );
  if (build.status !== 0) throw new Error("the build failed");
  const script = join(referenceDir, "harness", "predict.lua");
  const payloads = join(referenceDir, "model", "payloads.jsonl");
  if (!existsSync(script)) throw new Error(`no wrk script at ${script} (--reference)`);
  const targets: Target[] = [];
  const ref = reference();
  if (typeof ref === "string") process.stderr.write(`reference skipped: ${ref}\n`);
  else targets.push(ref);
  const self = await ours(dir);
  targets.push(self);
  if (values.floor) targets.push(floor("fastify"), floor("node"));
  const results = new Map<string, Result>();
  for (const target of targets) {
    process.stderr.write(`measuring ${target.label}…\n`);
    results.set(target.label, await measure(target, script, payloads));
  }
  process.stdout.write(
    `POST /predict (100 trees x 5 features), two workers each, wrk -t2 ${seconds} s per level on loopback, Node ${process.version}\n${table(results)}\n`,
  );
  if (typeof ref !== "string" && passes > 0) {
    process.stderr.write(`alternating the reference and this, ${passes} rounds…\n`);
    const rounds = await alternate({ reference: ref, this: self }, script, payloads);
    process.stdout.write(
      `\nAlternated at 32 connections, both up, ${seconds} s each, order reversed every round\n${roundsTable(rounds)}\n`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
