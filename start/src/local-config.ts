/**
 * `pnpm start`'s configuration: the environment over local defaults, parsed as the server parses
 * it. `pnpm start` checks it first (check-env.ts), before it builds, and start.ts runs with it, so
 * a bad value fails at once with the same message, naming the variable and the rule.
 */
import { DEMO_MODELS, type ServingConfig } from "@mlops/contracts";
import { configOrExit, exitOnFailure, workerCount } from "@mlops/serving/server";

/**
 * Local defaults layered under the environment: the demo GARCH fit is served too, by one
 * process per core (the machine is the server's own), on the loopback interface only: nothing
 * asks for a key by default, so `HOST=0.0.0.0` is how to serve the network, and a choice.
 */
const LOCAL_DEFAULTS = {
  HOST: "127.0.0.1",
  MLOPS_GARCH_MODEL: `${DEMO_MODELS.garch}@champion`,
  MLOPS_WORKERS: "auto",
  LOG_LEVEL: "warn",
} as const;

/** What `pnpm start` serves, and with how many processes. */
export interface LocalConfig {
  readonly config: ServingConfig;
  readonly processes: number;
}

/**
 * The config `env` gives over the local defaults, and how many processes serve it. A bad value,
 * or a process count this platform cannot serve, prints what to fix and exits 1.
 */
export async function localConfigOrExit(env: NodeJS.ProcessEnv): Promise<LocalConfig> {
  const config = configOrExit({ ...LOCAL_DEFAULTS, ...env });
  const processes = await exitOnFailure(async () => workerCount(config));
  return { config, processes };
}
