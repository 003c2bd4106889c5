/**
 * Smoke test of a deployed prediction API, through whatever sits in front of it (the public route
 * on AKS, or nothing locally): liveness, readiness, the served models, one prediction and one
 * GARCH forecast validated against the contracts' response schemas, and the canary header
 * routing each arm. Every request has its own timeout, so a hung endpoint fails its check instead
 * of the pipeline job. Through the public route (`edge`) only the public paths are probed, with
 * an API key, and the canary header goes with the trust token the pods accept it from
 * (`CANARY_OVERRIDE` in `@mlops/contracts`).
 */
import {
  API_KEY_HEADER,
  bytesText,
  CANARY_OVERRIDE,
  type FetchJsonFailure,
  fetchJson,
  GarchFitForecastResponseSchema,
  GarchForecastResponseSchema,
  HEALTH_PATHS,
  LiveResponseSchema,
  ModelsResponseSchema,
  PredictResponseSchema,
  ReadyResponseSchema,
  type ServedVariant,
  serviceUrl,
} from "@mlops/contracts";
import { checkSpec, simulate } from "@mlops/garch";
import type { ZodType, z } from "zod";

/**
 * Header that forces the arm at the canary Ingress (`nginx.ingress.kubernetes.io/canary-by-header`,
 * the default the k8s components render; a test keeps the two equal).
 */
export const DEFAULT_CANARY_HEADER = "X-Canary";

/** ingress-nginx canary-by-header values: `always` → the canary (challenger), `never` → stable. */
export const CANARY_HEADER_VALUES: Readonly<Record<ServedVariant, string>> = {
  challenger: "always",
  champion: "never",
};

/** One row of the demo dataset's five features: what the demo classifier expects. */
export const DEFAULT_FEATURES: readonly number[] = [0.5, -1.2, 0.3, 1.1, -0.4];

/** Forecast steps asked of the GARCH model. */
const GARCH_HORIZON = 5;

/**
 * Returns to fit when the API serves no GARCH model (the AKS deployments serve classifiers
 * only): a seeded GARCH(1,1) simulation, so the fit converges and the check is the same every
 * run.
 */
export function smokeReturns(): number[] {
  const spec = checkSpec({});
  const sim = simulate(spec, { mu: 0.02, omega: 0.05, alpha: [0.08], beta: [0.9] }, 500, {
    seed: 7,
  });
  return Array.from(sim.returns);
}

export interface SmokeOptions {
  /**
   * Base URL of the API (the ingress host in the cloud); its path is a prefix of every probed
   * path (`serviceUrl`), for an API behind a gateway that routes by path.
   */
  readonly url: string;
  /** Canary routing header name. */
  readonly headerName: string;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** The feature row to predict. */
  readonly features: readonly number[];
  /**
   * GARCH model to forecast (`name@version|alias`); unset → the one `/models` says is served, and
   * when none is, a fit-and-forecast of built-in returns.
   */
  readonly garchModel?: string;
  /** Check the header routing (off for a single process that serves both arms itself). */
  readonly routing: boolean;
  /**
   * The URL is the public route, which publishes the public paths only: liveness and the model
   * list are in-cluster endpoints and are not probed.
   */
  readonly edge: boolean;
  /** API key sent with the prediction and GARCH requests (the API's `x-api-key`). */
  readonly apiKey?: string;
  /** Entra ID access token sent instead, as `Authorization: Bearer` (`MLOPS_AUTH=entra`). */
  readonly bearerToken?: string;
  /** Trust token sent with the canary header (one of the `canary-token-*` secrets). */
  readonly canaryToken?: string;
}

/** The outcome of one check. */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  /** HTTP status, when a response came back. */
  readonly status?: number;
  readonly ms: number;
  /** What was seen (on success) or what went wrong. */
  readonly detail: string;
}

export interface SmokeReport {
  readonly url: string;
  readonly ok: boolean;
  readonly checks: readonly SmokeCheck[];
}

/** Why a check failed; carries the status when the server answered. */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A request whose answer must have `status` (default 200) and match `schema`. */
export interface Probe<S extends ZodType> {
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly schema: S;
  readonly status?: number;
}

/** Where a probe goes and how long it may take. */
export type ProbeTarget = Pick<SmokeOptions, "url" | "timeoutMs">;

async function request<S extends ZodType>(
  options: ProbeTarget,
  probe: Probe<S>,
): Promise<{ status: number; body: z.output<S> }> {
  // The timeout covers the body too: a server that stalls mid-answer fails the same way.
  const result = await fetchJson({
    url: serviceUrl(options.url, probe.path),
    headers: probe.headers,
    body: probe.body,
    schema: probe.schema,
    status: probe.status ?? 200,
    timeoutMs: options.timeoutMs,
  });
  if (result.ok) return { status: result.status, body: result.data };
  throw checkFailure(result.failure, options.timeoutMs);
}

/** The failure of a probe in the smoke report's words. */
function checkFailure(failure: FetchJsonFailure, timeoutMs: number): CheckFailure {
  switch (failure.kind) {
    case "timeout":
      return new CheckFailure(`no answer within ${timeoutMs} ms`);
    case "unreachable":
      return new CheckFailure(failure.message);
    case "cut-off":
      return new CheckFailure(
        `HTTP ${failure.status}: the answer was cut off mid-body (${failure.message})`,
        failure.status,
      );
    case "too-large":
      return new CheckFailure(
        `HTTP ${failure.status}: the answer's body is over the ${bytesText(failure.maxBytes)} cap`,
        failure.status,
      );
    case "status":
      return new CheckFailure(
        `HTTP ${failure.status}: ${failure.body.slice(0, 200)}`,
        failure.status,
      );
    case "not-json":
      return new CheckFailure(`not JSON: ${failure.body.slice(0, 200)}`, failure.status);
    case "contract": {
      const issue = failure.error.issues[0]!;
      return new CheckFailure(
        `response breaks the contract at ${issue.path.join(".") || "(root)"}: ${issue.message}`,
        failure.status,
      );
    }
  }
}

/**
 * Runs `probe`, times it, and turns its answer (or failure) into a check. `judge` reads a valid
 * answer and throws a CheckFailure when it is not the one expected.
 */
export async function check<S extends ZodType>(
  name: string,
  options: ProbeTarget,
  probe: Probe<S>,
  judge: (body: z.output<S>) => string,
): Promise<{ check: SmokeCheck; body?: z.output<S> }> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const { status, body } = await request(options, probe);
    return { check: { name, ok: true, status, ms: ms(), detail: judge(body) }, body };
  } catch (error) {
    const status = error instanceof CheckFailure ? error.status : undefined;
    return { check: { name, ok: false, status, ms: ms(), detail: (error as Error).message } };
  }
}

/** For judges: `detail` when `ok`, else a failure of a 200 answer with that detail. */
export function expectThat(ok: boolean, detail: string): string {
  if (!ok) throw new CheckFailure(detail, 200);
  return detail;
}

/** The checks of one report, and `run`, which runs a probe and records its check in order. */
export function checkList(options: ProbeTarget) {
  const checks: SmokeCheck[] = [];
  const run = async <S extends ZodType>(
    name: string,
    probe: Probe<S>,
    judge: (body: z.output<S>) => string,
  ) => {
    const result = await check(name, options, probe, judge);
    checks.push(result.check);
    return result;
  };
  return { checks, run };
}

/** The probes' checks (`health/live`, `health/ready`), each of `probes` in turn. */
export async function probeChecks(
  run: ReturnType<typeof checkList>["run"],
  probes: readonly (keyof typeof HEALTH_PATHS)[],
): Promise<void> {
  const schemas = { live: LiveResponseSchema, ready: ReadyResponseSchema };
  for (const probe of probes) {
    await run(
      `health/${probe}`,
      { path: HEALTH_PATHS[probe], schema: schemas[probe] },
      () => probe,
    );
  }
}

/** A check that could not run because an earlier one it depends on failed. */
export function notRun(name: string, detail: string): SmokeCheck {
  return { name, ok: false, ms: 0, detail };
}

/** The headers that carry the caller's credential: an API key or an Entra ID bearer token. */
export function credentialHeaders(
  options: Pick<SmokeOptions, "apiKey" | "bearerToken">,
): Record<string, string> {
  return {
    ...(options.apiKey === undefined ? {} : { [API_KEY_HEADER]: options.apiKey }),
    ...(options.bearerToken === undefined
      ? {}
      : { authorization: `Bearer ${options.bearerToken}` }),
  };
}

/** Runs every check in order and reports them all (a failure does not stop the rest). */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const { checks, run } = checkList(options);

  const key = credentialHeaders(options);
  // Through the public route only readiness is published.
  await probeChecks(run, options.edge ? ["ready"] : ["live", "ready"]);
  const models = options.edge
    ? undefined
    : await run("models", { path: "/models", schema: ModelsResponseSchema }, (body) =>
        body.served.map((m) => `${m.variant}=${m.name}@${m.version}`).join(" "),
      );
  await run(
    "predict",
    {
      path: "/predict",
      body: { features: options.features, user_id: "mlops-smoke" },
      headers: key,
      schema: PredictResponseSchema,
    },
    (body) => `${body.variant} ${body.model.name}@${body.model.version} -> ${body.prediction}`,
  );

  const served = models?.body?.served.find((m) => m.variant === "garch");
  const garchModel = options.garchModel ?? (served && `${served.name}@${served.version}`);
  const steps = (n: number) =>
    expectThat(n === GARCH_HORIZON, `${n}-step volatility path (asked ${GARCH_HORIZON})`);
  if (garchModel !== undefined) {
    await run(
      "garch/forecast",
      {
        path: "/garch/forecast",
        body: { model: garchModel, horizon: GARCH_HORIZON },
        headers: key,
        schema: GarchForecastResponseSchema,
      },
      (body) => `${body.model.name}@${body.model.version}: ${steps(body.volatility.length)}`,
    );
  } else if (models !== undefined && !models.check.ok) {
    checks.push(
      notRun(
        "garch/forecast",
        "GET /models failed, so no GARCH model is known (pass --garch-model)",
      ),
    );
  } else {
    await run(
      "garch/fit-forecast",
      {
        path: "/garch/fit-forecast",
        body: { returns: smokeReturns(), p: 1, q: 1, horizon: GARCH_HORIZON },
        headers: key,
        schema: GarchFitForecastResponseSchema,
      },
      (body) =>
        expectThat(body.converged, "the fit did not converge") &&
        `no GARCH model served; fitted GARCH(1,1): ${steps(body.volatility.length)}`,
    );
  }

  if (options.routing) {
    for (const variant of ["challenger", "champion"] as const) {
      const value = CANARY_HEADER_VALUES[variant];
      await run(
        `route ${options.headerName}: ${value}`,
        {
          path: "/predict",
          body: { features: options.features, user_id: `mlops-smoke-${variant}` },
          headers: {
            ...key,
            [options.headerName]: value,
            ...(options.canaryToken === undefined
              ? {}
              : { [CANARY_OVERRIDE.tokenHeader]: options.canaryToken }),
          },
          schema: PredictResponseSchema,
        },
        (body) =>
          expectThat(
            body.variant === variant,
            `${body.variant} ${body.model.name}@${body.model.version} (expected ${variant})`,
          ),
      );
    }
  }
  return { url: options.url, ok: checks.every((c) => c.ok), checks };
}

/** The report as a table for people, ending with a one-line verdict. */
export function formatSmokeReport(report: SmokeReport): string {
  const rows = [
    ["CHECK", "RESULT", "HTTP", "TIME", "DETAIL"],
    ...report.checks.map((c) => [
      c.name,
      c.ok ? "ok" : "FAIL",
      c.status === undefined ? "-" : String(c.status),
      `${c.ms} ms`,
      c.detail,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  const passed = report.checks.filter((c) => c.ok).length;
  lines.push(
    "",
    `smoke ${report.ok ? "passed" : "FAILED"}: ${passed}/${report.checks.length} checks ok at ${report.url}`,
  );
  return `${lines.join("\n")}\n`;
}
