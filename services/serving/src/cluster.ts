/**
 * Several serving processes on one machine (`MLOPS_WORKERS` > 1), as `uvicorn --workers` runs
 * them: one Node process uses one core for JavaScript, so a machine the server has to itself
 * (`pnpm start`, a VM) serves about twice as much with two. On Kubernetes a pod runs one
 * process and the autoscaler adds pods instead.
 *
 * How the work is split:
 * - the process started (the primary) serves too: it loads the models and listens first, then
 *   forks the other workers, each with the config rendered into its environment (the port the
 *   primary got included) so every process parses the same config. All of them listen on the
 *   port with SO_REUSEPORT, and the kernel deals out connections among them. A supervisor of
 *   its own would be one more Node process, about 85 MB, doing nothing but wait;
 * - once all listen, the primary replaces a worker that dies (up to `MAX_RESTARTS` a minute);
 * - the primary's graceful stop (run-server.ts) asks every worker once to stop, by a message
 *   rather than a signal (each drains its requests and flushes its prediction log), drains
 *   itself, and exits when all have; a second signal forces the stop (SIGKILL). A worker that is
 *   itself signalled too (a terminal's Ctrl-C, `kill -- -<pgid>`, systemd's default
 *   `KillMode=control-group` signal the whole process group) takes the two for one request:
 *   only a second signal of its own forces it, so the primary's request never cuts a flush
 *   short. A worker whose primary is gone stops by itself;
 * - each process writes its own prediction logs from its store's writer thread (SQLite lets
 *   one writer in at a time; batches of hundreds keep the waits short). Measured on 2 cores,
 *   this kept up better than sending every batch to one process to write alone: the extra copy
 *   of each batch cost more than the lock waits saved;
 * - the per-client rate limit holds per machine too: every process counts each request in the
 *   primary's windows (rate-windows.ts), so a client spread over N processes does not get N
 *   times the limit;
 * - metrics stay per machine, as a scrape expects: `/metrics` in a worker asks the primary,
 *   which merges its own registry with that of every worker that is listening (a replacement
 *   still starting is left out rather than waited for) using prom-client's AggregatorRegistry
 *   (counters and histograms summed; gauges as each metric declares, or as `mergeMetrics` says
 *   where prom-client's default process metrics declare a sum that means nothing).
 */
import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import {
  PREDICTION_LATENCY,
  PREDICTION_REQUESTS,
  renderServingEnv,
  type ServingConfig,
} from "@mlops/contracts";
import type {
  Aggregator,
  MetricObjectWithValues,
  MetricValue,
  PrometheusContentType,
  Registry,
} from "prom-client";
import type { BatchingWriterStats } from "./batching-writer.js";
import type { TrafficSource } from "./dashboard-api/traffic-view.js";
import { type RateLimitCount, RateWindows, rateLimitRequest } from "./rate-windows.js";

/**
 * Stop signals a worker leaves to the primary: a terminal sends them to every process in its
 * group, and the primary then asks each worker to stop.
 */
const PRIMARY_SIGNALS = ["SIGINT", "SIGHUP"] as const;
/** The primary's request to a worker to stop gracefully. */
interface StopRequest {
  readonly type: "mlops:stop";
}
/**
 * A worker's word that it listens: its socket is its own (`exclusive`), so node:cluster's
 * `listening` event, which reports sockets the primary hands out, never comes.
 */
interface ListeningNotice {
  readonly type: "mlops:listening";
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

/**
 * Platforms whose SO_REUSEPORT deals connections out among the processes that share a port
 * (libuv's UV_TCP_REUSEPORT; elsewhere, macOS and Windows among them, Node refuses the option).
 */
const BALANCED_REUSEPORT: readonly NodeJS.Platform[] = ["linux", "freebsd", "sunos", "aix"];

/**
 * How many serving processes `config` asks for on `platform`: `auto` is one per core where the
 * processes can share the port, else one. An explicit count above one where they cannot is
 * refused, naming the variable.
 */
export function workerCount(config: ServingConfig, platform = process.platform): number {
  const shareable = BALANCED_REUSEPORT.includes(platform);
  if (config.workers === "auto") return shareable ? availableParallelism() : 1;
  if (config.workers > 1 && !shareable) {
    throw new Error(
      `MLOPS_WORKERS=${config.workers}: serving processes share the port through SO_REUSEPORT, which ${platform} does not balance among processes (Linux, FreeBSD, Solaris and AIX do); set MLOPS_WORKERS=1`,
    );
  }
  return config.workers;
}

/** The listening options of a process that shares its port with the others (SO_REUSEPORT). */
export const SHARED_PORT = { reusePort: true } as const;
/**
 * A worker's: its own socket on the primary's port (`exclusive`: not the primary's round-robin
 * handle), which the kernel balances with the primary's by connection.
 */
export const WORKER_PORT = { ...SHARED_PORT, exclusive: true } as const;

/**
 * Fails as a plain listen would (EADDRINUSE) when something already holds `port` on `host`,
 * SO_REUSEPORT or not. The primary checks before it listens with SO_REUSEPORT: Linux lets every
 * socket of the same user that sets it share the port, so a second machine's primary (another
 * `pnpm start` on the same port) would otherwise share its connections with the first, silently.
 * Port 0 asks for a fresh port, which nothing holds.
 */
export async function checkPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen({ port, host, exclusive: true }, resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** The workers listening now: the ones the primary asks for metrics and traffic. */
const listeningWorkers = new Set<Worker>();
/** The machine's per-client rate-limit windows, held by the primary (or a process alone). */
const windows = new RateWindows();

/** Every listening worker's answer to `kind` (a worker that fails to answer is left out). */
async function gather<K extends "collect" | "collect-traffic">(kind: K): Promise<Requests[K][]> {
  const answers = await Promise.allSettled(
    [...listeningWorkers].map((w) => ask(toWorker(w), kind, `worker ${w.process.pid}`)),
  );
  return answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
}

/**
 * How default process metrics are merged where prom-client's own choice, a sum, misstates the
 * machine: each process has its own file-descriptor limit, so together they report the largest,
 * not the total. The rest keep prom-client's: memory, heap spaces, handles, open descriptors and
 * CPU time add up; the start time is left out, the version is the first process's, and the
 * event-loop lag is averaged (its min and max taken as such).
 */
const PROCESS_AGGREGATORS: Readonly<Record<string, Aggregator>> = { process_max_fds: "max" };

/**
 * One registry of the metrics of the machine's processes (`parts`, each a registry's JSON):
 * counters and histograms summed, gauges as each metric declares or `PROCESS_AGGREGATORS` says.
 * prom-client is imported where a merge happens: a worker's own registry comes from metrics.ts.
 * Through `default` (its module.exports), which Node and the bundle both give a CommonJS module.
 */
export async function mergeMetrics(
  parts: readonly (readonly MetricObjectWithValues<MetricValue<string>>[])[],
): Promise<Registry<PrometheusContentType>> {
  const declared = parts.map((metrics) =>
    metrics.map((metric) => {
      const aggregator = PROCESS_AGGREGATORS[metric.name];
      return aggregator === undefined ? metric : { ...metric, aggregator };
    }),
  );
  return (await import("prom-client")).default.AggregatorRegistry.aggregate(declared);
}

/**
 * This machine's metrics (Prometheus text): a worker asks the primary; the primary merges its
 * own `registry` with every listening worker's; a process alone answers with its own.
 */
export async function machineExposition(registry: Registry): Promise<string> {
  if (cluster.isWorker) return ask(toPrimary, "metrics", "the cluster primary");
  if (listeningWorkers.size === 0) return registry.metrics();
  const [own, others] = await Promise.all([registry.getMetricsAsJSON(), gather("collect")]);
  return (await mergeMetrics([own, ...others])).metrics();
}

/**
 * This machine's traffic (the dashboard's source): a worker asks the primary; the primary merges
 * its own (`local`) with every listening worker's; a process alone answers with its own.
 */
export async function machineTraffic(local: () => Promise<TrafficSource>): Promise<TrafficSource> {
  if (cluster.isWorker) return ask(toPrimary, "traffic", "the cluster primary");
  if (listeningWorkers.size === 0) return local();
  const parts = [await local(), ...(await gather("collect-traffic"))];
  const merged = await mergeMetrics(parts.map((p) => [p.requests, p.latency]));
  // A metric no process reported yet reads as no samples.
  const pick = async (name: string) =>
    ((await merged.getSingleMetric(name)?.get()) ?? { values: [] }) as TrafficSource["requests"];
  const sum = (key: keyof BatchingWriterStats) => parts.reduce((total, p) => total + p.log[key], 0);
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
}

/**
 * Counts a request of client `key` in the machine's windows of `windowMs`: a worker asks the
 * primary, which counts its own requests and every worker's in one place.
 */
export const machineRateLimitHit = (key: string, windowMs: number): Promise<RateLimitCount> =>
  cluster.isWorker
    ? ask(toPrimary, "rate-limit", "the cluster primary", { key, windowMs })
    : Promise.resolve(windows.hit({ key, windowMs }, Date.now()));

export interface SupervisorOptions {
  /** The worker's entry module (it runs `runServer` on the config in its environment). */
  readonly entry: string;
  /** Workers to fork besides the primary, which serves too. */
  readonly workers: number;
  /** The primary's own registry and traffic, merged with the workers' when they ask. */
  readonly registry: Registry;
  readonly traffic: () => Promise<TrafficSource>;
  /** Where the primary reports restarts and failures. */
  readonly log: (line: string) => void;
  /** Called once when workers keep dying: the primary should stop the machine, failed. */
  readonly giveUp: (why: string) => void;
}

/** The primary's hold on its workers. */
export interface Supervisor {
  /** Resolves once every worker listens; rejects if one exits before it does. */
  readonly listening: Promise<void>;
  /**
   * Asks every worker to stop (by message, so each drains and flushes; one still starting, or
   * unreachable, gets SIGTERM) and resolves once all have exited: true if each ended cleanly.
   */
  stop(): Promise<boolean>;
  /** Ends every worker at once (SIGKILL): a second stop signal. */
  kill(): void;
}

/**
 * Forks `options.workers` workers that serve `config` (its port: the one the primary listens
 * on) beside the primary, answers their requests, and replaces one that dies once all listen.
 */
export function superviseWorkers(config: ServingConfig, options: SupervisorOptions): Supervisor {
  const env = renderServingEnv(config);
  cluster.setupPrimary({ exec: options.entry });
  cluster.on("message", (worker: Worker, message: unknown) => {
    if (settle(message)) return;
    if (isMessage<ListeningNotice>(message, "mlops:listening")) return onListening(worker);
    const send = toWorker(worker);
    answer(send, message, "metrics", () => machineExposition(options.registry));
    answer(send, message, "traffic", () => machineTraffic(options.traffic));
    answer(send, message, "rate-limit", async (payload) => {
      const { key, windowMs } = rateLimitRequest(payload);
      return machineRateLimitHit(key, windowMs);
    });
  });

  let started = false;
  let stopping = false;
  let failed = false;
  let listened!: () => void;
  let failedToStart!: (error: Error) => void;
  const listening = new Promise<void>((resolve, reject) => {
    listened = resolve;
    failedToStart = reject;
  });
  let stopped!: (clean: boolean) => void;
  const allStopped = new Promise<boolean>((resolve) => {
    stopped = resolve;
  });
  const restarts: number[] = [];
  // Tracked here: cluster.workers may still list a worker whose exit is being reported.
  const alive = new Set<Worker>();
  const fork = () => alive.add(cluster.fork(env));
  const settleIfDone = () => {
    if (stopping && alive.size === 0) stopped(!failed);
  };
  // Until all listen, a worker leaves the set only by exiting, which fails the start.
  function onListening(worker: Worker): void {
    listeningWorkers.add(worker);
    if (started || listeningWorkers.size < options.workers) return;
    started = true;
    listened();
  }

  cluster.on("exit", (worker, code, signal) => {
    alive.delete(worker);
    const wasListening = listeningWorkers.delete(worker);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const now = Date.now();
    while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (stopping) {
      // A replacement still starting has nothing to drain: SIGTERM's default end is clean.
      failed ||= code !== 0 && (wasListening || signal !== "SIGTERM");
    } else if (!started) {
      failed = true;
      failedToStart(new Error(`a serving worker exited before listening (${how})`));
    } else if (restarts.length >= MAX_RESTARTS) {
      failed = true;
      options.giveUp(`worker ${worker.process.pid} exited (${how}); too many restarts`);
    } else {
      options.log(`worker ${worker.process.pid} exited (${how}); starting a replacement`);
      restarts.push(now);
      fork();
    }
    settleIfDone();
  });
  for (let i = 0; i < options.workers; i++) fork();

  return {
    listening,
    stop() {
      if (!stopping) {
        stopping = true;
        // A listening worker is asked by message; one still starting has not joined yet,
        // nothing to drain, and ends on SIGTERM (as does one whose channel is gone).
        for (const worker of alive) {
          const terminate = () => worker.process.kill("SIGTERM");
          if (!listeningWorkers.has(worker) || !worker.isConnected()) terminate();
          else {
            worker.send({ type: "mlops:stop" } satisfies StopRequest, undefined, (error) => {
              if (error) terminate();
            });
          }
        }
        settleIfDone();
      }
      return allStopped;
    },
    kill() {
      for (const worker of alive) worker.process.kill("SIGKILL");
    },
  };
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

/** Tells the primary that this worker listens (after `joinCluster`). */
export function announceListening(): void {
  process.send?.({ type: "mlops:listening" } satisfies ListeningNotice);
}
