/**
 * One serving process (alone, or a worker of `server.ts`'s cluster): start telemetry if
 * configured, open the store, load the configured models, release start-up's heap (heap.ts),
 * listen. On SIGTERM or SIGINT it stops accepting, lets in-flight requests finish, flushes the
 * prediction log, closes telemetry and the store, and exits.
 */
import { type ServingConfig, SHUTDOWN_GRACE_MS } from "@mlops/contracts";
import { openStore } from "@mlops/store";
import closeWithGrace from "close-with-grace";
import type { FastifyInstance } from "fastify";
import { clusterRateLimitHit, joinCluster, WORKER_SIGNALS } from "./cluster.js";
import { localTraffic } from "./dashboard-api/traffic-view.js";
import { releaseStartupHeap } from "./heap.js";
import { loadServedModels } from "./models/served.js";
import { clusterRateLimitStore } from "./rate-windows.js";
import { startTelemetry } from "./telemetry.js";

/**
 * Starts the server for `config` in this process and installs the graceful-stop handlers;
 * `clustered` when this process is a worker of `serve`'s cluster.
 */
export async function runServer(
  config: ServingConfig,
  { clustered = false } = {},
): Promise<FastifyInstance> {
  const telemetry = await startTelemetry(config);
  // Prediction logs go to SQLite from a thread of their own: the event loop never waits on it.
  const store = await openStore(config.store, { sqlite: { predictionWriterThread: true } });
  let app: FastifyInstance | undefined;
  try {
    const served = await loadServedModels(config, store);
    // Loaded after telemetry so its instrumentation sees Fastify's HTTP server being created.
    const { createApp } = await import("./app.js");
    app = await createApp({
      config,
      store,
      served,
      // A worker counts clients in the primary, so MLOPS_RATE_LIMIT_PER_MINUTE is per machine.
      rateLimitStore: clustered ? clusterRateLimitStore(clusterRateLimitHit) : undefined,
    });
  } catch (error) {
    await store.close();
    await telemetry?.close();
    throw error;
  }
  const server = app;
  // A worker's stop requests (its own SIGTERM, the primary's) are joinCluster's to count.
  const skip = clustered ? [...WORKER_SIGNALS] : [];
  let closing = false;
  const graceful = closeWithGrace({ delay: SHUTDOWN_GRACE_MS, skip }, async ({ signal, err }) => {
    closing = true;
    if (err) server.log.error({ err }, "stopping after an uncaught error");
    else server.log.info({ signal }, "stopping: draining requests and the prediction log");
    await server.close();
    await telemetry?.close();
    await store.close();
  });
  if (clustered) {
    joinCluster(
      app.metrics.registry,
      () => localTraffic(server.metrics, server.predictionLog.stats),
      // Once: a stop already under way (requested, or after an uncaught error) is left to
      // finish, as close-with-grace's `close()` would run its handler again.
      () => {
        if (!closing) void graceful.close();
      },
    );
  }
  // Before the port opens: the pause (tens of ms) falls on start-up, not on a request.
  server.log.info({ ms: releaseStartupHeap() }, "start-up heap released");
  await server.listen({ port: config.port, host: config.host });
  return server;
}
