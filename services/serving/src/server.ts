/**
 * Serving as a process: the config parsed once from the environment (failing fast, naming the
 * variable), then `config.workers` serving processes: this one (run-server.ts), with the others
 * forked as its workers (cluster.ts). run-server.ts is imported only once the config holds.
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { ContractValidationError, parseServingConfig, type ServingConfig } from "@mlops/contracts";
import { workerCount } from "./cluster.js";
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
 * Serves `config` with `config.workers` processes: this one, and as many more forked as workers
 * of this one (cluster.ts). Resolves with the port once every process listens.
 */
export async function serve(config: ServingConfig): Promise<number> {
  const workers = workerCount(config);
  const { listeningPort, runServer } = await import("./run-server.js");
  const app = await runServer(
    config,
    workers > 1
      ? { kind: "primary", workers: workers - 1, entry: WORKER_ENTRY }
      : { kind: "alone" },
  );
  return listeningPort(app, config);
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
