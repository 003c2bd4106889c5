/**
 * `pnpm start`: the platform on one machine. Registers the demo models when the registry lacks
 * them (training's `runDemoJob`: a random-forest champion and a boosted-trees challenger, GARCH
 * on dem2gbp, the experiment), then serves what is registered in split mode on the embedded SQLite store
 * (`@mlops/serving`) and prints the URL and a request to paste. `MLOPS_MODE=garch pnpm start`
 * is the GARCH volatility service instead: only the GARCH fit is registered (no classifiers are
 * trained) and the server answers the service's contract (`/health`, `/models/list`,
 * `/predict`, `/predict/custom`) on the same port.
 */
import { availableParallelism } from "node:os";
import { localServerUrl, type ServingConfig } from "@mlops/contracts";
// The server module, not the package index: the app (and Fastify) must load after telemetry starts.
import { exitOnFailure, serve } from "@mlops/serving/server";
import { openStore } from "@mlops/store";
import { interruptible, runDemoJob, runGarchDemoJob } from "@mlops/training";
import { localConfigOrExit } from "./local-config.js";

// Before any training: a bad value, or a process count this platform cannot serve, fails now,
// naming the variable (`pnpm start` has checked the same before it built).
const { config, processes } = await localConfigOrExit(process.env);

const tty = process.stderr.isTTY;
const progress = (line: string, transient = false) => {
  // Transient lines (progress bars) overwrite each other on a terminal and are skipped in logs.
  if (tty) process.stderr.write(`\r\x1b[2K${line}${transient ? "" : "\n"}`);
  else if (!transient) process.stderr.write(`${line}\n`);
};

/**
 * Registers what is missing, then serves; resolves with what it serves once listening. An
 * experiment a decision concluded takes no more data: as the pipeline closes the canary, every
 * request then goes to the champion.
 */
async function main(): Promise<{ port: number; served: ServingConfig; concluded: boolean }> {
  const store = await openStore(config.store);
  let concluded = false;
  try {
    if (config.mode === "garch") {
      await runGarchDemoJob({ store, artifactRoot: config.artifactDir, progress });
    } else {
      // Ctrl-C while it trains: that run is KILLED and nothing half-made is registered.
      const demo = await interruptible((signal) =>
        runDemoJob({
          store,
          artifactRoot: config.artifactDir,
          experimentId: config.experimentId,
          challengerWeight: config.challengerWeight,
          threads: Math.max(1, Math.min(2, availableParallelism())),
          progress,
          signal,
        }),
      );
      concluded = demo.experiment.state === "concluded";
    }
  } finally {
    await store.close();
  }
  const served = concluded ? { ...config, challengerWeight: 0 } : config;
  return { port: await serve(served), served, concluded };
}

const { port, served, concluded } = await exitOnFailure(main);
const url = localServerUrl(config.host, port);
const what =
  served.mode === "garch"
    ? "the GARCH volatility service"
    : `${served.mode} (${100 - served.challengerWeight}/${served.challengerWeight}${concluded ? `, experiment ${served.experimentId} concluded` : ""})`;
const example =
  config.mode === "garch"
    ? '{"horizon":5}'
    : '{"features":[0.5,-1.2,0.3,1.1,-0.4],"user_id":"user-42"}';
process.stdout.write(
  [
    "",
    `mlops-platform serving ${what} at ${url} with ${processes} process${processes > 1 ? "es" : ""}`,
    `  docs    ${url}/docs`,
    `  metrics ${url}/metrics`,
    "  try:",
    `  curl -s -X POST ${url}/predict -H 'content-type: application/json' \\`,
    `    -d '${example}'`,
    "",
  ].join("\n"),
);
