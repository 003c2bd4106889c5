/**
 * GARCH volatility: forecast from a registered fit, or fit the posted returns and forecast.
 * A fit is CPU-bound (tens of ms on thousands of points); the body limits in the contract bound
 * it, and load shedding protects the rest of the API if many arrive at once.
 */
import {
  ErrorResponseSchema,
  GarchFitForecastRequestSchema,
  GarchFitForecastResponseSchema,
  GarchForecastRequestSchema,
  GarchForecastResponseSchema,
} from "@mlops/contracts";
import { fit, GarchInputError } from "@mlops/garch";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ServingError } from "../errors.js";
import { forecastPath } from "../models/garch.js";

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 422: ErrorResponseSchema };

/** Named parameters flattened to `omega`, `alpha[1]`, …, as the response lists them. */
function flatParams(params: object): Record<string, number> {
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
        response: { 200: GarchForecastResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { model, horizon } = request.body;
      const served = await app.served.garchFit(model);
      return {
        ...forecastPath(served.fit, horizon),
        model: { name: served.name, version: served.version },
      };
    },
  );

  app.post(
    "/garch/fit-forecast",
    {
      schema: {
        summary: "Fit GARCH(p,q) on the posted returns, then forecast",
        body: GarchFitForecastRequestSchema,
        response: { 200: GarchFitForecastResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { returns, p, q, dist, mean, horizon } = request.body;
      let fitted: ReturnType<typeof fit>;
      try {
        fitted = fit(returns, { p, q, dist, mean });
      } catch (error) {
        // The core names what is wrong with the series or the orders; that is the client's to fix.
        if (error instanceof GarchInputError) {
          throw new ServingError("GARCH_FIT_FAILED", error.message, undefined, { cause: error });
        }
        throw error;
      }
      return {
        ...forecastPath(fitted, horizon),
        params: flatParams(fitted.params),
        log_likelihood: fitted.logLikelihood,
        aic: fitted.aic,
        bic: fitted.bic,
        converged: fitted.converged,
      };
    },
  );
};

export default routes;
