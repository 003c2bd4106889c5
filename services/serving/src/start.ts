/**
 * `pnpm start`: the platform on one machine. Registers the demo models on first run (training
 * a champion and a challenger, fitting GARCH on dem2gbp), then serves them in split mode on the
 * embedded SQLite store and prints the URL and a request to paste.
 */
import { availableParallelism } from "node:os";
import { openStore } from "@mlops/store";
import { bootstrap, DEMO_MODELS } from "./bootstrap.js";
import { workerCount } from "./cluster.js";
import { configOrExit, exitOnFailure, serve } from "./server.js";

/**
 * Local defaults layered under the environment: the demo GARCH fit is served too, by one
 * process per core (the machine is the server's own).
 */
const env = {
  MLOPS_GARCH_MODEL: `${DEMO_MODELS.garch}@champion`,
  MLOPS_WORKERS: "auto",
  LOG_LEVEL: "warn",
  ...process.env,
};
const config = configOrExit(env);

const tty = process.stderr.isTTY;
const progress = (line: string, transient = false) => {
  // Transient lines (progress bars) overwrite each other on a terminal and are skipped in logs.
  if (tty) process.stderr.write(`\r\x1b[2K${line}${transient ? "" : "\n"}`);
  else if (!transient) process.stderr.write(`${line}\n`);
};

/** Registers what is missing, then serves; resolves with the port once listening. */
async function main() {
  const store = await openStore(config.store);
  try {
    await bootstrap({
      store,
      artifactDir: config.artifactDir,
      experimentId: config.experimentId,
      challengerWeight: config.challengerWeight,
      threads: Math.max(1, Math.min(2, availableParallelism())),
      progress,
    });
  } finally {
    await store.close();
  }
  return serve(config);
}

const port = await exitOnFailure(main);
const url = `http://127.0.0.1:${port}`;
process.stdout.write(
  [
    "",
    `mlops-platform serving ${config.mode} (${100 - config.challengerWeight}/${config.challengerWeight}) at ${url} with ${workerCount(config)} process${workerCount(config) > 1 ? "es" : ""}`,
    `  docs    ${url}/docs`,
    `  metrics ${url}/metrics`,
    "  try:",
    `  curl -s -X POST ${url}/predict -H 'content-type: application/json' \\`,
    `    -d '{"features":[0.5,-1.2,0.3,1.1,-0.4],"user_id":"user-42"}'`,
    "",
  ].join("\n"),
);
