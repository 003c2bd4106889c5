/**
 * Serving as a process: the config parsed once from the environment (failing fast, naming the
 * variable), then `config.workers` serving processes: this one (run-server.ts), or a cluster of
 * workers with this process as their primary (cluster.ts). A primary loads neither the HTTP
 * stack nor the store nor the models: run-server.ts is imported only where a server runs.
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { ContractValidationError, parseServingConfig, type ServingConfig } from "@mlops/contracts";
import { runCluster, workerCount } from "./cluster.js";
import { unsupportedNode } from "./runtime.js";

// How many processes `serve` starts, for entry points that report it (`pnpm start`).
export { workerCount } from "./cluster.js";

/**
 * Parses the serving config from `env`; on a bad value, or on a Node too old to serve, prints
 * what to fix and exits 1.
 */
export function configOrExit(env: NodeJS.ProcessEnv): ServingConfig {
  const oldNode = unsupportedNode(process.versions.node);
  if (oldNode !== undefined) {
    process.stderr.write(`mlops serving: ${oldNode}\n`);
    process.exit(1);
  }
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
 * The module cluster workers run: this one's sibling, in the same form (.ts under tsx, .js built;
 * the build puts it beside every bundle that includes this module: `bundle.threads`).
 */
const WORKER_ENTRY = fileURLToPath(
  new URL(`./cluster-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
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
  const { runServer } = await import("./run-server.js");
  const app = await runServer(config);
  const address = app.server.address();
  return typeof address === "object" && address ? address.port : config.port;
}

/**
 * Runs `main`; a start-up failure (no such model, store unreachable…) prints why and exits 1,
 * or with the error's own exit code where it carries one (a signal's 128 + its number).
 */
export async function exitOnFailure<T>(main: () => Promise<T>): Promise<T> {
  try {
    return await main();
  } catch (error) {
    process.stderr.write(
      `mlops serving: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    // An error that carries its own exit code (a job a signal interrupted: 128 + the signal).
    const { exitCode } = error as { exitCode?: unknown };
    return process.exit(typeof exitCode === "number" ? exitCode : 1);
  }
}
