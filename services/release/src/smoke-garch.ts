/**
 * Smoke test of a GARCH volatility service (`MLOPS_MODE=garch`) as its clients see it: health,
 * every endpoint of its contract (each answer checked against the contracts' schemas), a series
 * too short for the model refused with the minimum stated, and the integration request: a client
 * lists the models, asks a forecast of the one listed as the default by name, and gets the model
 * the list described and the forecast the default gives. Through the public route (`edge`) only
 * the contract's public paths are probed (`PUBLIC_PATHS.garch`: the index and the probes' paths
 * stay in the cluster), and the predictions carry the caller's credential, as in prod.
 */
import {
  ErrorResponseSchema,
  type FetchJsonFailure,
  GARCH_SERVICE_PATHS,
  GarchCustomResponseSchema,
  GarchHealthySchema,
  GarchIndexSchema,
  type GarchModelInfo,
  GarchModelsListSchema,
  type GarchPredictResponse,
  GarchPredictResponseSchema,
} from "@mlops/contracts";
import {
  answerText,
  check,
  checkList,
  credentialHeaders,
  expectThat,
  notRun,
  type ProbeTarget,
  probeChecks,
  type SmokeOptions,
  type SmokeReport,
  smokeReturns,
} from "./smoke.js";

/** Forecast steps asked of the service. */
const HORIZON = 5;
/** Returns posted to show the minimum-length rule: fewer than any model is fitted on. */
const TOO_FEW = 50;

/** True when `a` and `b` are the same path, value for value. */
function samePath(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The answer's volatility is the square root of its variance, step for step, `HORIZON` long. */
function forecastShape(body: {
  variance_forecast: number[];
  volatility_forecast: number[];
  predictions: Record<string, number>;
}): string {
  const { variance_forecast: v, volatility_forecast: vol } = body;
  expectThat(v.length === HORIZON, `${v.length}-step forecast (asked ${HORIZON})`);
  expectThat(
    vol.every((s, i) => Math.abs(s - Math.sqrt(v[i]!)) <= 1e-9 * Math.max(1, s)),
    "volatility is not the square root of the variance",
  );
  expectThat(
    Object.keys(body.predictions).length === HORIZON,
    "predictions do not list one day per step",
  );
  return `${HORIZON}-step volatility ${vol[0]!.toPrecision(4)} → ${vol.at(-1)!.toPrecision(4)}`;
}

/**
 * What `/health` answered, when that shows the URL serves something other than the GARCH service
 * (which answers it 200 with `service: "garch"`, or 503 when unhealthy): no such path (404), or a
 * 200 that is not JSON, or not an object saying it is the service. Undefined for any other
 * failure (no answer, another status, the service's own answer breaking its contract).
 */
function otherServiceAnswer(failure: FetchJsonFailure | undefined): string | undefined {
  switch (failure?.kind) {
    case "status":
      return failure.status === 404 ? answerText(failure.status, failure.body) : undefined;
    case "not-json":
      return answerText(failure.status, failure.body);
    case "contract":
      return failure.error.issues.some((i) => i.path.length === 0 || i.path[0] === "service")
        ? answerText(failure.status, failure.body)
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Runs every check in order and reports them all (a failure does not stop the rest), unless the
 * health answer shows the URL is not the GARCH service.
 */
export async function runGarchSmoke(
  options: ProbeTarget & Pick<SmokeOptions, "apiKey" | "bearerToken" | "edge">,
): Promise<SmokeReport> {
  const { checks, run, report } = checkList(options);
  const headers = credentialHeaders(options);

  const health = await check(
    "health",
    options,
    { path: GARCH_SERVICE_PATHS.health, schema: GarchHealthySchema },
    (b) => expectThat(b.status === "healthy", b.status),
  );
  const other = otherServiceAnswer(health.failure);
  if (other !== undefined) {
    const detail = `${options.url} is not the GARCH volatility service: GET ${GARCH_SERVICE_PATHS.health} answered ${other}`;
    checks.push({ ...health.check, detail });
    return report();
  }
  checks.push(health.check);
  if (!options.edge) {
    await run("index", { path: GARCH_SERVICE_PATHS.index, schema: GarchIndexSchema }, (b) =>
      Object.keys(b.endpoints).join(", "),
    );
  }
  // Its public route publishes neither probe.
  if (!options.edge) await probeChecks(run, ["live", "ready"]);
  const listed = await run(
    "models/list",
    { path: GARCH_SERVICE_PATHS.models, schema: GarchModelsListSchema },
    (b) =>
      expectThat(
        b.count === b.models.length && b.models.some((m) => m.default),
        `${b.count} models, default ${b.models.find((m) => m.default)?.ref ?? "not listed"}`,
      ),
  );
  const predicted = await run(
    "predict",
    {
      path: GARCH_SERVICE_PATHS.predict,
      body: { horizon: HORIZON },
      headers,
      schema: GarchPredictResponseSchema,
    },
    (b) => `${b.model_info.ref} ${b.model_info.model_type}: ${forecastShape(b)}`,
  );
  await run(
    "predict/custom",
    {
      path: GARCH_SERVICE_PATHS.custom,
      body: { returns: smokeReturns(), p: 1, q: 1, horizon: HORIZON },
      headers,
      schema: GarchCustomResponseSchema,
    },
    (b) =>
      expectThat(b.model_summary.converged, "the fit did not converge") &&
      `fitted ${b.model_info.model_type} on ${b.model_info.data_points} returns: ${forecastShape(b)}`,
  );
  await run(
    "predict/custom (too short)",
    {
      path: GARCH_SERVICE_PATHS.custom,
      body: { returns: smokeReturns().slice(0, TOO_FEW), p: 1, q: 1, horizon: HORIZON },
      headers,
      schema: ErrorResponseSchema,
      status: 400,
    },
    (b) => {
      const states = /at least \d+ returns/.test(b.message);
      return expectThat(
        states,
        `${states ? "refused" : "refused without stating the minimum"}: ${b.message}`,
      );
    },
  );

  const listedDefault = listed.body?.models.find((m) => m.default);
  if (listedDefault === undefined || predicted.body === undefined) {
    checks.push(notRun("integration", "needs the models list and the default forecast"));
  } else {
    await run(
      "integration",
      {
        path: GARCH_SERVICE_PATHS.predict,
        body: { model: listedDefault.ref, horizon: HORIZON },
        headers,
        schema: GarchPredictResponseSchema,
      },
      (b) => integration(b, listedDefault, predicted.body!),
    );
  }
  return report();
}

/**
 * The forecast of the listed default, asked by name: the model the list described (same order,
 * distribution, sample size and fit date) and the same path the default request gave.
 */
function integration(
  byName: GarchPredictResponse,
  listed: GarchModelInfo,
  byDefault: GarchPredictResponse,
): string {
  const info = byName.model_info;
  for (const key of ["ref", "p", "q", "distribution", "sample_size", "fit_date"] as const) {
    expectThat(
      info[key] === listed[key],
      `${key} ${info[key]} differs from the list's ${listed[key]}`,
    );
  }
  expectThat(
    samePath(byName.variance_forecast, byDefault.variance_forecast),
    "the named model's forecast differs from the default forecast",
  );
  return `listed ${listed.ref} (${listed.model_type}, ${listed.distribution}, n=${listed.sample_size}) forecast by name = default`;
}
