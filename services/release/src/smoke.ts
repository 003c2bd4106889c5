/**
 * Smoke test of a deployed prediction API, through whatever sits in front of it (the public route
 * on AKS, or nothing locally): liveness, readiness, the served models, one prediction and one
 * GARCH forecast validated against the contracts' response schemas, and the canary header
 * routing each arm. Every request has its own timeout, so a hung endpoint fails its check instead
 * of the pipeline job. Through the public route (`edge`) only the public paths are probed, with
 * an API key, and the canary header goes with the trust token the pods accept it from
 * (`CANARY_OVERRIDE` in `@mlops/contracts`). When the model list shows the URL serves no classifier
 * (the GARCH volatility service) or both arms in one process (split mode, which assigns arms
 * itself), the failing check says so and names the flag for it.
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
  type ModelsResponse,
  ModelsResponseSchema,
  PredictResponseSchema,
  ReadyResponseSchema,
  type ServedVariant,
  type ServingConfig,
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
    /** How the probe's request failed, when it did (not when a judge refused a valid answer). */
    readonly failure?: FetchJsonFailure,
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

/** The failure of a probe: in the smoke report's words, with its status and the failure itself. */
function checkFailure(failure: FetchJsonFailure, timeoutMs: number): CheckFailure {
  const status = "status" in failure ? failure.status : undefined;
  return new CheckFailure(failureText(failure, timeoutMs), status, failure);
}

/** An answer of the wrong status (or service) as the report quotes it: status, start of the body. */
export function answerText(status: number, body: string): string {
  return `HTTP ${status}: ${body.slice(0, 200)}`;
}

/** A probe's failure in the smoke report's words. */
function failureText(failure: FetchJsonFailure, timeoutMs: number): string {
  switch (failure.kind) {
    case "timeout":
      return `no answer within ${timeoutMs} ms`;
    case "unreachable":
      return failure.message;
    case "cut-off":
      return `HTTP ${failure.status}: the answer was cut off mid-body (${failure.message})`;
    case "too-large":
      return `HTTP ${failure.status}: the answer's body is over the ${bytesText(failure.maxBytes)} cap`;
    case "status":
      return answerText(failure.status, failure.body);
    case "not-json":
      return `not JSON: ${failure.body.slice(0, 200)}`;
    case "contract": {
      const issue = failure.error.issues[0]!;
      return `response breaks the contract at ${issue.path.join(".") || "(root)"}: ${issue.message}`;
    }
  }
}

/**
 * Runs `probe`, times it, and turns its answer (or failure) into a check. `judge` reads a valid
 * answer and throws a CheckFailure when it is not the one expected. A request that failed comes
 * back with its `failure`, for a caller that words some of them its own way.
 */
export async function check<S extends ZodType>(
  name: string,
  options: ProbeTarget,
  probe: Probe<S>,
  judge: (body: z.output<S>) => string,
): Promise<{ check: SmokeCheck; body?: z.output<S>; failure?: FetchJsonFailure }> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const { status, body } = await request(options, probe);
    return { check: { name, ok: true, status, ms: ms(), detail: judge(body) }, body };
  } catch (error) {
    const failed = error instanceof CheckFailure ? error : undefined;
    return {
      check: {
        name,
        ok: false,
        status: failed?.status,
        ms: ms(),
        detail: (error as Error).message,
      },
      failure: failed?.failure,
    };
  }
}

/** For judges: `detail` when `ok`, else a failure of a 200 answer with that detail. */
export function expectThat(ok: boolean, detail: string): string {
  if (!ok) throw new CheckFailure(detail, 200);
  return detail;
}

/**
 * The checks of one report, `run`, which runs a probe and records its check in order, and
 * `report`, the report of the checks recorded so far.
 */
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
  const report = (): SmokeReport => ({ url: options.url, ok: checks.every((c) => c.ok), checks });
  return { checks, run, report };
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

/**
 * What a process is, by what it serves (its mode decides what it loads): no classifier, the GARCH
 * volatility service; both arms, one process assigning them itself; one arm, one Deployment's pod.
 */
function modeOf(models: ModelsResponse): ServingConfig["mode"] {
  const arms = models.served.filter((m) => m.variant !== "garch").length;
  return arms === 0 ? "garch" : arms === 1 ? "single" : "split";
}

/**
 * Runs every check in order and reports them all (a failure does not stop the rest), unless the
 * model list shows the URL is the GARCH volatility service, which has no classifier to check.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const { checks, run, report } = checkList(options);

  const key = credentialHeaders(options);
  // Through the public route only readiness is published.
  await probeChecks(run, options.edge ? ["ready"] : ["live", "ready"]);
  const models = options.edge
    ? undefined
    : await run("models", { path: "/models", schema: ModelsResponseSchema }, (body) =>
        body.served.map((m) => `${m.variant}=${m.name}@${m.version}`).join(" "),
      );
  // Unknown through the public route, which does not publish the model list, or when it failed.
  const mode = models?.body && modeOf(models.body);
  if (mode === "garch") {
    checks.push(
      notRun(
        "predict",
        `${options.url} is the GARCH volatility service (MLOPS_MODE=garch), which serves no classifier: smoke it with --garch`,
      ),
    );
    return report();
  }
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
    // Why an arm answered that the header did not ask for: certain when the model list shows both
    // arms served here (such a process obeys only an override with a valid token), a possibility
    // when there is no list (through the public route).
    const why =
      mode === "split"
        ? `${options.url} serves both arms in one process (split mode): it assigns each user's arm itself and ignores ${CANARY_OVERRIDE.header} without a valid ${CANARY_OVERRIDE.tokenHeader}; pass --no-routing to skip the routing checks`
        : mode === undefined
          ? `${options.headerName} did not pin the arm; a process serving both arms (split mode, as pnpm start runs) assigns them itself, and --no-routing skips these checks for one`
          : undefined;
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
        (body) => {
          const pinned = body.variant === variant;
          const answered = `${body.variant} ${body.model.name}@${body.model.version} (expected ${variant})`;
          return expectThat(pinned, pinned || why === undefined ? answered : `${answered}: ${why}`);
        },
      );
    }
  }
  return report();
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
