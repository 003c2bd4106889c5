/**
 * The serving process: parse the config once (failing fast, naming the variable), start
 * telemetry if configured, open the store, load the configured models, listen. On SIGTERM or
 * SIGINT it stops accepting, lets in-flight requests finish, flushes the prediction log, closes
 * telemetry and the store, and exits.
 */
import { extname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ContractValidationError,
  parseServingConfig,
  type ServingConfig,
  SHUTDOWN_GRACE_MS,
} from "@mlops/contracts";
import { openStore } from "@mlops/store";
import closeWithGrace from "close-with-grace";
import type { FastifyInstance } from "fastify";
import {
  clusterRateLimitHit,
  joinCluster,
  PRIMARY_SIGNALS,
  runCluster,
  workerCount,
} from "./cluster.js";
import { localTraffic } from "./dashboard-api/traffic-view.js";
import { loadServedModels } from "./models/served.js";
import { clusterRateLimitStore } from "./rate-windows.js";
import { startTelemetry } from "./telemetry.js";

// How many processes `serve` starts, for entry points that report it (`pnpm start`).
export { workerCount } from "./cluster.js";

/** Parses the serving config from `env`; on a bad value prints what to fix and exits 1. */
export function configOrExit(env: NodeJS.ProcessEnv): ServingConfig {
  try {
    return parseServingConfig(env);
  } catch (error) {
    if (error instanceof ContractValidationError) {
      process.stderr.write(`mlops serving: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

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
  if (clustered) {
    joinCluster(app.metrics.registry, () =>
      localTraffic(server.metrics, server.predictionLog.stats),
    );
  }
  const skip = clustered ? [...PRIMARY_SIGNALS] : [];
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, skip }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, "stopping after an uncaught error");
    else server.log.info({ signal }, "stopping: draining requests and the prediction log");
    await server.close();
    await telemetry?.close();
    await store.close();
  });
  await server.listen({ port: config.port, host: config.host });
  return server;
}

/** The module cluster workers run: this one's sibling, in the same form (.ts under tsx, .js built). */
const WORKER_ENTRY = fileURLToPath(
  new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/**
 * Serves `config` with `config.workers` processes: in this one, or as the primary of a cluster
 * (cluster.ts). Resolves with the port once every process listens.
 */
export async function serve(config: ServingConfig): Promise<number> {
  const workers = workerCount(config);
  if (workers > 1) {
    return runCluster(config, {
      entry: WORKER_ENTRY,
      workers,
      log: (line) => process.stderr.write(`mlops serving: ${line}\n`),
    });
  }
  const app = await runServer(config);
  const address = app.server.address();
  return typeof address === "object" && address ? address.port : config.port;
}

/** Runs `main`; a start-up failure (no such model, store unreachable…) prints why and exits 1. */
export async function exitOnFailure<T>(main: () => Promise<T>): Promise<T> {
  try {
    return await main();
  } catch (error) {
    process.stderr.write(
      `mlops serving: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return process.exit(1);
  }
}

// Run directly (`tsx src/server.ts`, the image's command): serve what the config names.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await exitOnFailure(() => serve(configOrExit(process.env)));
}
