/**
 * Several serving processes on one machine (`MLOPS_WORKERS` > 1), as `uvicorn --workers` runs
 * them: one Node process uses one core for JavaScript, so a machine the server has to itself
 * (`pnpm start`, a VM) serves about twice as much with two. On Kubernetes a pod runs one
 * process and the autoscaler adds pods instead.
 *
 * How the work is split:
 * - it forks the workers, which share the port (the primary hands out connections round
 *   robin), each with the config rendered into its environment so every worker parses the same
 *   config; once all listen it replaces a worker that dies;
 * - on SIGTERM, SIGINT or SIGHUP it asks every worker once to stop, by a message rather than a
 *   signal (each drains its requests and flushes its prediction log, see run-server.ts), and
 *   exits when all have; a second signal forces the stop (SIGKILL). A worker that is itself
 *   signalled too (a terminal's Ctrl-C, `kill -- -<pgid>`, systemd's default
 *   `KillMode=control-group` signal the whole process group) takes the two for one request:
 *   only a second signal of its own forces it, so the primary's request never cuts a flush short;
 * - each worker writes its own prediction logs from its store's writer thread (SQLite lets
 *   one writer in at a time; batches of hundreds keep the waits short). Measured on 2 cores,
 *   this kept up better than sending every batch to the primary to write alone: the extra copy
 *   of each batch cost more than the lock waits saved;
 * - the per-client rate limit holds per machine too: workers count each request in the primary's
 *   windows (rate-windows.ts), so a client spread over N workers does not get N times the limit;
 * - metrics stay per machine, as a scrape expects: a worker's `/metrics` asks the primary,
 *   which gathers the registry of every worker that is listening (a replacement still starting
 *   is left out rather than waited for) and merges them with prom-client's
 *   AggregatorRegistry (counters and histograms summed; gauges as each metric declares).
 */
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import {
  PREDICTION_LATENCY,
  PREDICTION_REQUESTS,
  renderServingEnv,
  type ServingConfig,
} from "@mlops/contracts";
import type {
  AggregatorRegistry,
  MetricObjectWithValues,
  MetricValue,
  Registry,
} from "prom-client";
import type { BatchingWriterStats } from "./batching-writer.js";
import type { TrafficSource } from "./dashboard-api/traffic-view.js";
import { type RateLimitCount, RateWindows, rateLimitRequest } from "./rate-windows.js";

/** Signals the primary turns into one orderly stop of every worker. */
const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
/**
 * Stop signals a worker leaves to the primary: a terminal sends them to every process in its
 * group, and the primary then asks each worker to stop.
 */
const PRIMARY_SIGNALS = ["SIGINT", "SIGHUP"] as const;
/** The primary's request to a worker to stop gracefully. */
interface StopRequest {
  readonly type: "mlops:stop";
}
/** Replacements allowed within `RESTART_WINDOW_MS` before the primary gives up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** Longest a worker waits for the merged metrics, and the primary for one worker's. */
const REQUEST_TIMEOUT_MS = 5000;

/** Requests between primary and workers over IPC, by kind, with the answer's type. */
interface Requests {
  /** Worker to primary: every listening worker's metrics, merged (Prometheus text). */
  metrics: string;
  /** Worker to primary: every listening worker's traffic, merged (for the dashboard). */
  traffic: TrafficSource;
  /** Primary to worker: this worker's whole registry (prom-client JSON). */
  collect: MetricObjectWithValues<MetricValue<string>>[];
  /**
   * Primary to worker: this worker's traffic alone. The dashboard samples it every few seconds,
   * so it must not run the registry's scrape-time collectors (the accuracy gauge queries the
   * store).
   */
  "collect-traffic": TrafficSource;
  /** Worker to primary: count one request of a client against the machine's rate limit. */
  "rate-limit": RateLimitCount;
}
type Kind = keyof Requests;
interface Request {
  readonly type: "mlops:request";
  readonly kind: Kind;
  readonly id: number;
  /** What the request is about (the rate limit's client key and window). */
  readonly payload?: unknown;
}
interface Reply {
  readonly type: "mlops:reply";
  readonly id: number;
  readonly answer?: unknown;
  readonly error?: string;
}
type Send = (message: Request | Reply, done: (error: Error | null) => void) => void;

const isMessage = <T extends { type: string }>(m: unknown, type: T["type"]): m is T =>
  typeof m === "object" && m !== null && (m as { type?: unknown }).type === type;

let nextId = 0;
const pending = new Map<number, (reply: Reply) => void>();

/** Hands a reply to the request waiting for it; true if `message` was a reply. */
function settle(message: unknown): boolean {
  if (!isMessage<Reply>(message, "mlops:reply")) return false;
  pending.get(message.id)?.(message);
  return true;
}

/** Sends a request of `kind` to `peer` and resolves with its answer. */
function ask<K extends Kind>(
  send: Send,
  kind: K,
  peer: string,
  payload?: unknown,
): Promise<Requests[K]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      pending.delete(id);
      clearTimeout(timer);
      reject(new Error(`${peer} ${why}`));
    };
    const timer = setTimeout(
      () => fail(`did not answer within ${REQUEST_TIMEOUT_MS} ms`),
      REQUEST_TIMEOUT_MS,
    );
    pending.set(id, (reply) => {
      pending.delete(id);
      clearTimeout(timer);
      if (reply.error !== undefined) reject(new Error(reply.error));
      else resolve(reply.answer as Requests[K]);
    });
    send(
      { type: "mlops:request", kind, id, payload },
      (error) => error && fail(`is gone (${error.message})`),
    );
  });
}

/** Answers `message` if it is a request of `kind`. */
function answer<K extends Kind>(
  send: Send,
  message: unknown,
  kind: K,
  compute: (payload: unknown) => Promise<Requests[K]>,
): void {
  if (!isMessage<Request>(message, "mlops:request") || message.kind !== kind) return;
  const ignore = () => {}; // A peer that left meanwhile needs no answer.
  compute(message.payload).then(
    (value) => send({ type: "mlops:reply", id: message.id, answer: value }, ignore),
    (error: Error) => send({ type: "mlops:reply", id: message.id, error: error.message }, ignore),
  );
}

const toWorker =
  (worker: Worker): Send =>
  (message, done) => {
    if (worker.isConnected()) worker.send(message, undefined, done);
    else done(new Error("disconnected"));
  };
let hearingPrimary = false;
const toPrimary: Send = (message, done) => {
  if (process.send === undefined) return done(new Error("not a cluster worker"));
  // The primary's replies are routed from the first request on: a worker asks (the dashboard's
  // first traffic sample) before it has joined and answers requests itself.
  if (!hearingPrimary) {
    hearingPrimary = true;
    process.on("message", settle);
  }
  process.send(message, undefined, undefined, done);
};

/** How many serving processes `config` asks for. */
export function workerCount(config: ServingConfig): number {
  return config.workers === "auto" ? availableParallelism() : config.workers;
}

/** Whether this process is a worker forked by `runCluster`. */
export const isClusterWorker = (): boolean => cluster.isWorker;

export interface ClusterOptions {
  /** The worker's entry module (it runs `runServer` on the config in its environment). */
  readonly entry: string;
  readonly workers: number;
  /** Where the primary reports restarts and failures. */
  readonly log: (line: string) => void;
}

/** The primary's answers to workers: what the listening workers report, merged. */
function answerWorkers(listening: ReadonlySet<Worker>): void {
  const gather = async <K extends "collect" | "collect-traffic">(kind: K) => {
    const answers = await Promise.allSettled(
      [...listening].map((w) => ask(toWorker(w), kind, `worker ${w.process.pid}`)),
    );
    return answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
  };
  // prom-client loads on the first merge: a primary that is never asked holds only node:cluster.
  // Through `default` (its module.exports), which Node and the bundle both give a CommonJS module.
  const aggregate = async (parts: Parameters<typeof AggregatorRegistry.aggregate>[0]) =>
    (await import("prom-client")).default.AggregatorRegistry.aggregate(parts);
  const metrics = async () => (await aggregate(await gather("collect"))).metrics();
  const traffic = async (): Promise<TrafficSource> => {
    const parts = await gather("collect-traffic");
    const merged = await aggregate(parts.map((p) => [p.requests, p.latency]));
    // A metric no worker reported yet (none listening) reads as no samples.
    const pick = async (name: string) =>
      ((await merged.getSingleMetric(name)?.get()) ?? { values: [] }) as TrafficSource["requests"];
    const sum = (key: keyof BatchingWriterStats) =>
      parts.reduce((total, p) => total + p.log[key], 0);
    return {
      requests: await pick(PREDICTION_REQUESTS.name),
      latency: await pick(PREDICTION_LATENCY.name),
      log: {
        depth: sum("depth"),
        written: sum("written"),
        dropped: sum("dropped"),
        failedWrites: sum("failedWrites"),
      },
    };
  };
  // One count per client for the whole machine, however the connections are spread.
  const windows = new RateWindows();
  const count = async (payload: unknown) => windows.hit(rateLimitRequest(payload), Date.now());
  cluster.on("message", (worker: Worker, message: unknown) => {
    if (settle(message)) return;
    const send = toWorker(worker);
    answer(send, message, "metrics", metrics);
    answer(send, message, "traffic", traffic);
    answer(send, message, "rate-limit", count);
  });
}

/**
 * Forks the workers and resolves with the port once all of them listen. Rejects (after stopping
 * the others) if one exits before listening: a bad model reference or an unreachable store fails
 * the start as it does in one process.
 */
export function runCluster(config: ServingConfig, options: ClusterOptions): Promise<number> {
  const env = renderServingEnv(config);
  cluster.setupPrimary({ exec: options.entry });
  const listeningWorkers = new Set<Worker>();
  answerWorkers(listeningWorkers);

  let listening = 0;
  let started = false;
  let stopping = false;
  let failed = false;
  const restarts: number[] = [];
  // Tracked here: cluster.workers may still list a worker whose exit is being reported.
  const alive = new Set<Worker>();
  const fork = () => alive.add(cluster.fork(env));
  const onSignal = () => {
    // The first signal asks a listening worker by message; one still starting has not joined
    // yet, nothing to drain, and ends on SIGTERM (as does one whose channel is gone). A second
    // signal forces.
    const force = stopping;
    stopping = true;
    for (const worker of alive) {
      const terminate = () => worker.process.kill("SIGTERM");
      if (force) worker.process.kill("SIGKILL");
      else if (!listeningWorkers.has(worker) || !worker.isConnected()) terminate();
      else {
        worker.send({ type: "mlops:stop" } satisfies StopRequest, undefined, (error) => {
          if (error) terminate();
        });
      }
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

  return new Promise((resolve, reject) => {
    cluster.on("listening", (worker, address) => {
      listeningWorkers.add(worker);
      if (started || ++listening < options.workers) return;
      started = true;
      resolve(address.port);
    });
    cluster.on("exit", (worker, code, signal) => {
      alive.delete(worker);
      const wasListening = listeningWorkers.delete(worker);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      const now = Date.now();
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (!started && !stopping) {
        reject(new Error(`a serving worker exited before listening (${how})`));
        failed = true;
        onSignal();
      } else if (stopping) {
        // A replacement still starting has nothing to drain: SIGTERM's default end is clean.
        failed ||= code !== 0 && (wasListening || signal !== "SIGTERM");
      } else if (restarts.length >= MAX_RESTARTS) {
        options.log(`worker ${worker.process.pid} exited (${how}); too many restarts, stopping`);
        failed = true;
        onSignal();
      } else {
        options.log(`worker ${worker.process.pid} exited (${how}); starting a replacement`);
        restarts.push(now);
        fork();
        return;
      }
      if (alive.size === 0) process.exit(failed ? 1 : 0);
    });
    for (let i = 0; i < options.workers; i++) fork();
  });
}

/** Signals a worker handles itself (`joinCluster`): the graceful-stop handler must skip them. */
export const WORKER_SIGNALS = [...PRIMARY_SIGNALS, "SIGTERM"] as const;

/**
 * Joins this worker to the primary. `stop` starts the graceful stop and must do nothing once one
 * has begun: it is called on the primary's request, on a SIGTERM and on the primary's
 * disappearance, and the primary's request with one SIGTERM is one stop (the whole group was
 * signalled), whichever comes first. A second SIGTERM forces the exit. `PRIMARY_SIGNALS` are left
 * to the primary. `registry` and `traffic` are what the primary merges.
 */
export function joinCluster(
  registry: Registry,
  traffic: () => Promise<TrafficSource>,
  stop: () => void,
): void {
  let signals = 0;
  process.on("SIGTERM", () => {
    if (++signals === 1) return stop();
    process.stderr.write("second SIGTERM, exiting\n");
    process.exit(1);
  });
  for (const signal of PRIMARY_SIGNALS) process.on(signal, () => {});
  process.once("disconnect", stop);
  process.on("message", (message: unknown) => {
    if (isMessage<StopRequest>(message, "mlops:stop")) return stop();
    answer(toPrimary, message, "collect", () => registry.getMetricsAsJSON());
    answer(toPrimary, message, "collect-traffic", traffic);
  });
}

/** The metrics of every listening worker, merged by the primary (Prometheus text). */
export const clusterExposition = (): Promise<string> =>
  ask(toPrimary, "metrics", "the cluster primary");

/** The traffic of every listening worker, merged by the primary (the dashboard's source). */
export const clusterTraffic = (): Promise<TrafficSource> =>
  ask(toPrimary, "traffic", "the cluster primary");

/** Counts a request of client `key` in the primary's windows of `windowMs`. */
export const clusterRateLimitHit = (key: string, windowMs: number): Promise<RateLimitCount> =>
  ask(toPrimary, "rate-limit", "the cluster primary", { key, windowMs });
