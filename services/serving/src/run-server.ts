/**
 * One serving process (alone, or the primary or a worker of a machine's processes, cluster.ts):
 * start telemetry if configured, open the store, load the configured models, release start-up's
 * heap (heap.ts), listen; a primary then forks its workers. On SIGTERM or SIGINT it stops
 * accepting, lets in-flight requests finish, flushes the prediction log, closes telemetry and
 * the store, and exits (a primary once its workers have done the same).
 */
import { SERVING_ENV, type ServingConfig, SHUTDOWN_GRACE_MS } from "@mlops/contracts";
import { openStore, type Store, StoreError } from "@mlops/store";
import closeWithGrace from "close-with-grace";
import type { FastifyInstance } from "fastify";
import {
  announceListening,
  checkPortFree,
  joinCluster,
  machineRateLimitHit,
  SHARED_PORT,
  type Supervisor,
  superviseWorkers,
  WORKER_PORT,
  WORKER_SIGNALS,
} from "./cluster.js";
import { localTraffic } from "./dashboard-api/traffic-view.js";
import { releaseStartupHeap } from "./heap.js";
import { loadServedModels } from "./models/served.js";
import { clusterRateLimitStore } from "./rate-windows.js";
import { startTelemetry } from "./telemetry.js";

/** This process's part in serving a machine (cluster.ts). */
export type Role =
  | { readonly kind: "alone" }
  /** Serves, and forks `workers` more serving processes (`entry`) that share its port. */
  | { readonly kind: "primary"; readonly workers: number; readonly entry: string }
  | { readonly kind: "worker" };

const report = (line: string) => process.stderr.write(`mlops serving: ${line}\n`);

/** The port `app` listens on (the one the system gave where `config.port` is 0). */
export function listeningPort(app: FastifyInstance, config: ServingConfig): number {
  const address = app.server.address();
  return typeof address === "object" && address ? address.port : config.port;
}

/**
 * The store `config` names, which must exist: the commands that register models make it, so a
 * server never creates one (an empty store at a mistyped path). Failures name MLOPS_STORE.
 */
async function openServedStore(config: ServingConfig): Promise<Store> {
  try {
    // Prediction logs go to SQLite from a thread of their own: the event loop never waits on it.
    return await openStore(config.store, {
      sqlite: { predictionWriterThread: true, existing: true },
    });
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    throw new Error(`${SERVING_ENV.store}: ${error.message}`, { cause: error });
  }
}

/**
 * Throws unless the experiment predictions are logged under is defined: `pnpm start` and `mlops
 * demo` define theirs, a stack's pipeline its own (`mlops release experiment`) before deploying,
 * so a missing one is a misnamed one, whose A/B data no analysis would ever read. The GARCH service
 * runs no experiment.
 */
async function requireExperiment(config: ServingConfig, store: Store): Promise<void> {
  if (config.mode === "garch" || (await store.experiments.get(config.experimentId)) !== null) {
    return;
  }
  throw new Error(
    `${SERVING_ENV.experimentId}: no experiment '${config.experimentId}' is defined in the store; define it first (mlops release experiment, mlops demo) or name one that is`,
  );
}

/**
 * Starts the server for `config` in this process as `role` and installs the graceful-stop
 * handlers. A primary resolves once its workers listen too.
 */
export async function runServer(
  config: ServingConfig,
  role: Role = { kind: "alone" },
): Promise<FastifyInstance> {
  const telemetry = await startTelemetry(config);
  const store = await openServedStore(config);
  let app: FastifyInstance | undefined;
  try {
    await requireExperiment(config, store);
    const served = await loadServedModels(config, store);
    // Loaded after telemetry so its instrumentation sees Fastify's HTTP server being created.
    const { createApp } = await import("./app.js");
    app = await createApp({
      config,
      store,
      served,
      // Several processes count clients in the primary, so the limit is per machine.
      rateLimitStore:
        role.kind === "alone" ? undefined : clusterRateLimitStore(machineRateLimitHit),
    });
  } catch (error) {
    await store.close();
    await telemetry?.close();
    throw error;
  }
  const server = app;
  const traffic = () => localTraffic(server.metrics, server.predictionLog.stats);
  let supervisor: Supervisor | undefined;
  /** Why a primary stops its machine as failed (a worker that would not start or stay up). */
  let failure: string | undefined;
  // A worker's stop requests (its own SIGTERM, the primary's) are joinCluster's to count.
  const skip = role.kind === "worker" ? [...WORKER_SIGNALS] : [];
  let closing = false;
  const graceful = closeWithGrace(
    {
      delay: SHUTDOWN_GRACE_MS,
      skip,
      // A primary's forced end (a second signal, the grace period spent) ends its workers too.
      onSecondSignal: (signal) => {
        supervisor?.kill();
        report(`second ${signal}, exiting`);
      },
      onTimeout: (ms) => {
        supervisor?.kill();
        report(`not stopped within ${ms} ms, exiting`);
      },
    },
    async ({ signal, err }) => {
      closing = true;
      if (err) server.log.error({ err }, "stopping after an uncaught error");
      else server.log.info({ signal }, "stopping: draining requests and the prediction log");
      const workers = supervisor?.stop();
      await server.close();
      await telemetry?.close();
      await store.close();
      if (workers !== undefined && !(await workers)) failure ??= "a worker did not stop cleanly";
      if (failure !== undefined) throw new Error(failure);
    },
  );
  /** Stops the machine as failed, draining whatever serves (once). */
  const stopFailed = (why: string) => {
    failure ??= why;
    report(why);
    if (!closing) void graceful.close();
  };
  if (role.kind === "worker") {
    joinCluster(
      app.metrics.registry,
      traffic,
      // Once: a stop already under way (requested, or after an uncaught error) is left to
      // finish, as close-with-grace's `close()` would run its handler again.
      () => {
        if (!closing) void graceful.close();
      },
    );
  }
  // Before the port opens: the pause (tens of ms) falls on start-up, not on a request.
  server.log.info({ ms: releaseStartupHeap() }, "start-up heap released");
  const shared = role.kind === "primary" ? SHARED_PORT : role.kind === "worker" ? WORKER_PORT : {};
  try {
    if (role.kind === "primary") await checkPortFree(config.port, config.host);
    await server.listen({ port: config.port, host: config.host, ...shared });
  } catch (error) {
    // A held port, a host that does not resolve or is not this machine's, a privileged port.
    throw new Error(
      `cannot listen on HOST=${config.host} PORT=${config.port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (role.kind === "worker") announceListening();
  // A stop that came while it was starting up has nothing to fork workers for.
  if (role.kind === "primary" && !closing) {
    supervisor = superviseWorkers(
      { ...config, port: listeningPort(server, config) },
      {
        entry: role.entry,
        workers: role.workers,
        registry: server.metrics.registry,
        traffic,
        log: report,
        giveUp: stopFailed,
      },
    );
    await supervisor.listening.catch((error: Error) => {
      stopFailed(error.message);
      // The stop ends the process: start-up never resolves.
      return new Promise<never>(() => {});
    });
  }
  return server;
}
