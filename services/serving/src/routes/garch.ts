/**
 * GARCH volatility under the platform's paths: forecast from a registered fit, or fit the posted
 * returns and forecast. Both go through the GARCH service (`app.garch`), the implementation the
 * GARCH service mode's routes use too. A fit is CPU-bound (tens of ms on thousands of points);
 * the body limits in the contract bound it, and load shedding protects the rest of the API if
 * many arrive at once.
 */
import {
  ErrorResponseSchema,
  GarchFitForecastRequestSchema,
  GarchFitForecastResponseSchema,
  GarchForecastRequestSchema,
  GarchForecastResponseSchema,
} from "@mlops/contracts";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { callerGone } from "../caller-gone.js";

/**
 * What the GARCH routes may answer besides their success: a bad request, a missing or refused
 * credential (MLOPS_AUTH), an unknown model, a series that cannot be fitted, the rate limit, and
 * a store or credential check that does not answer or a shed request.
 */
export const garchErrors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  422: ErrorResponseSchema,
  429: ErrorResponseSchema,
  503: ErrorResponseSchema,
};

/** The same for a fit of posted returns, whose 503 also stands for the fitter's refusals. */
export const fitErrors = {
  ...garchErrors,
  503: ErrorResponseSchema.describe(
    "GARCH_BUSY: fits are queued to capacity; GARCH_TIMEOUT: the fit did not finish within the server's deadline; or the server is overloaded or cannot check credentials. Retry after `retry-after` seconds.",
  ),
};

/** Named parameters flattened to `omega`, `alpha[1]`, …, as the responses list them. */
export function flatParams(params: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) out[`${key}[${i + 1}]`] = v;
    } else if (typeof value === "number" && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

const routes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/garch/forecast",
    {
      schema: {
        summary: "Variance and volatility path from a registered GARCH fit",
        body: GarchForecastRequestSchema,
        response: { 200: GarchForecastResponseSchema, ...garchErrors },
      },
    },
    async (request) => {
      const { model, horizon } = request.body;
      const { served, path } = await app.garch.forecast(model, horizon);
      return { ...path, model: { name: served.name, version: served.version } };
    },
  );

  app.post(
    "/garch/fit-forecast",
    {
      schema: {
        summary: "Fit GARCH(p,q) on the posted returns, then forecast",
        body: GarchFitForecastRequestSchema,
        response: { 200: GarchFitForecastResponseSchema, ...fitErrors },
      },
    },
    async (request, reply) => {
      const { fit, path } = await app.garch.fitForecast(request.body, callerGone(reply));
      return {
        ...path,
        params: flatParams(fit.params),
        log_likelihood: fit.logLikelihood,
        aic: fit.aic,
        bic: fit.bic,
        converged: fit.converged,
      };
    },
  );
};

export default routes;
