/**
 * `mlops smoke`: check a deployed API through its ingress (or a local one), every check in a row
 * of the report; the command fails when any check does, so a pipeline step stops there.
 */
import { type EnvRecord, PLATFORM_ENV } from "@mlops/contracts";
import type { Command } from "commander";
import {
  DEFAULT_CANARY_HEADER,
  DEFAULT_FEATURES,
  formatSmokeReport,
  runSmoke,
  type SmokeOptions,
} from "../smoke.js";
import { runGarchSmoke } from "../smoke-garch.js";
import type { ReleaseCommandContext } from "./context.js";
import { featureRow, garchModelFlag, headerName, secondsFlag, serviceUrlFlag } from "./flags.js";

/** Longest the smoke test waits for one answer by default, in seconds. */
const DEFAULT_TIMEOUT_S = 10;
/** The longest wait for one answer that `--timeout` takes. */
const MAX_TIMEOUT_S = 300;

interface SmokeFlags {
  url: string;
  headerName: string;
  timeout: number;
  features: number[];
  garchModel?: string;
  routing: boolean;
  edge?: boolean;
  garch?: boolean;
  json?: boolean;
}

/**
 * Where the smoke test finds its credentials: environment variables, so they never appear in a
 * command line or a job log (the pipeline reads them from Key Vault into masked variables).
 */
export const SMOKE_CREDENTIAL_ENV = {
  apiKey: PLATFORM_ENV.smokeApiKey,
  bearerToken: PLATFORM_ENV.smokeBearerToken,
  canaryToken: PLATFORM_ENV.smokeCanaryToken,
} as const;

/** The caller's credentials from `env` (`SMOKE_CREDENTIAL_ENV`); unset or empty ones are absent. */
export function credentialsFromEnv(env: EnvRecord): Pick<SmokeOptions, "apiKey" | "bearerToken"> {
  return {
    apiKey: env[SMOKE_CREDENTIAL_ENV.apiKey] || undefined,
    bearerToken: env[SMOKE_CREDENTIAL_ENV.bearerToken] || undefined,
  };
}

/** Adds `smoke` to the `mlops` program. */
export function registerSmokeCommand(program: Command, ctx: ReleaseCommandContext): void {
  program
    .command("smoke")
    .description(
      "Smoke-test a running prediction API: health, readiness, models, a prediction, a GARCH forecast and the canary header routing (with --garch: the GARCH service's health, every endpoint and the integration request); exits 1 if any check fails.",
    )
    .requiredOption(
      "--url <url>",
      "base URL of the API (the ingress in the cloud); a path in it prefixes every probed path",
    )
    .option(
      "--header-name <name>",
      "canary routing header of the ingress",
      headerName,
      DEFAULT_CANARY_HEADER,
    )
    .option(
      "--timeout <seconds>",
      "longest wait for each answer",
      secondsFlag("--timeout", MAX_TIMEOUT_S),
      DEFAULT_TIMEOUT_S,
    )
    .option("--features <json>", "feature row to predict", featureRow, [...DEFAULT_FEATURES])
    .option(
      "--garch-model <ref>",
      "GARCH model to forecast (default: the one the API serves)",
      garchModelFlag,
    )
    .option("--no-routing", "skip the header routing checks (one process serving both arms)")
    .option(
      "--edge",
      `the URL is the public route: probe its public paths only; ${Object.values(SMOKE_CREDENTIAL_ENV).join(", ")} carry the credentials`,
    )
    .option(
      "--garch",
      "check a GARCH volatility service (MLOPS_MODE=garch): /health, /models/list, /predict, /predict/custom and the integration request",
    )
    .option("--json", "print the report as one JSON object")
    .action(async (opts: SmokeFlags) => {
      const url = serviceUrlFlag(opts.url);
      const timeoutMs = opts.timeout * 1000;
      const credentials = credentialsFromEnv(ctx.io.env);
      const report = opts.garch
        ? await runGarchSmoke({
            url,
            timeoutMs,
            edge: opts.edge ?? false,
            ...credentials,
          })
        : await runSmoke({
            url,
            headerName: opts.headerName,
            timeoutMs,
            features: opts.features,
            garchModel: opts.garchModel,
            routing: opts.routing,
            edge: opts.edge ?? false,
            ...credentials,
            canaryToken: ctx.io.env[SMOKE_CREDENTIAL_ENV.canaryToken] || undefined,
          });
      ctx.io.stdout(opts.json ? `${JSON.stringify(report)}\n` : formatSmokeReport(report));
      const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
      if (failed.length > 0) throw new Error(`smoke failed: ${failed.join(", ")}`);
    });
}
