/**
 * `mlops loadtest`: the design's load test against any deployment (`@mlops/release`'s
 * `runLoadTest`): concurrent users for a duration, then success rate, latency (mean, p50, p95,
 * p99) and requests per second, as a table or one JSON object. A progress bar draws on stderr
 * while it runs, on a terminal only; the command fails when the success rate is below
 * `--min-success`. Against a guarded deployment it sends the credential `mlops smoke` takes from
 * the environment (`MLOPS_SMOKE_API_KEY` or `MLOPS_SMOKE_BEARER_TOKEN`) with every request.
 */
import {
  credentialHeaders,
  credentialsFromEnv,
  formatLoadReport,
  loadTestOptions,
  runLoadTest,
} from "@mlops/release";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import type { CliContext } from "./context.js";

interface LoadTestFlags {
  url: string;
  users: string;
  duration: string;
  timeout: string;
  path: string[];
  body?: string;
  minSuccess: string;
  json?: boolean;
}

/** Adds `loadtest` to the `mlops` program. */
export function registerLoadTestCommand(program: Command, ctx: CliContext): void {
  program
    .command("loadtest")
    .description(
      "Load-test a running service: concurrent users for a duration, then success rate, mean/p50/p95/p99 latency and requests/s; exits 1 below --min-success.",
    )
    .requiredOption("--url <url>", "base URL of the service")
    .option("--users <n>", "concurrent users, each sending its next request on an answer", "10")
    .option("--duration <seconds>", "how long to send", "60")
    .option(
      "--path <path>",
      "a path to request (repeatable; default: the GARCH service's /health, /models/list, /predict, /predict/custom with their bodies; other paths are GET)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--body <json>",
      "a JSON body POSTed to each --path (e.g. --path /predict --body '{\"features\":[0.5,-1.2,0.3,1.1,-0.4]}')",
    )
    .option("--timeout <seconds>", "longest wait for one answer (longer counts as failed)", "10")
    .option("--min-success <percent>", "success rate below which the command fails", "99")
    .option("--json", "print the report as one JSON object")
    .action(async (opts: LoadTestFlags) => {
      const { options, minSuccessRate } = loadTestOptions({
        "--url": opts.url,
        "--users": opts.users,
        "--duration": opts.duration,
        "--timeout": opts.timeout,
        "--path": opts.path,
        "--body": opts.body,
        "--min-success": opts.minSuccess,
      });
      const seconds = Math.ceil(options.durationMs / 1000);
      const bar = ctx.io.isTTY
        ? new SingleBar({
            format: "load {bar} {value}/{total} s | {requests} requests | {rps} req/s | {ok} % ok",
          })
        : undefined;
      bar?.start(seconds, 0, { requests: 0, rps: "0.0", ok: "100.0" });
      const report = await runLoadTest({
        ...options,
        headers: credentialHeaders(credentialsFromEnv(ctx.io.env)),
        onProgress: ({ elapsedMs, requests, failed }) =>
          bar?.update(Math.min(seconds, Math.floor(elapsedMs / 1000)), {
            requests,
            rps: (requests / Math.max(elapsedMs / 1000, 1e-3)).toFixed(1),
            ok: requests === 0 ? "100.0" : ((100 * (requests - failed)) / requests).toFixed(1),
          }),
      }).finally(() => bar?.stop());
      ctx.print(opts.json, report, () => formatLoadReport(report));
      if (report.success_rate < minSuccessRate) {
        throw new Error(
          `success rate ${(report.success_rate * 100).toFixed(2)} % is below --min-success ${(minSuccessRate * 100).toFixed(2)} %`,
        );
      }
    });
}
