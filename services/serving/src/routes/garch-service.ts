/**
 * The GARCH service's contract (`MLOPS_MODE=garch`), the second design's API as its clients call
 * it: `GET /health`, `GET /models/list`, `POST /predict` and `POST /predict/custom`. The fits and
 * forecasts are the GARCH service's (`app.garch`), the same the platform's `/garch/*` routes
 * answer with; only paths and field names differ. `healthRoutes` are open like the probes;
 * `predictRoutes` sit where the API key (when configured) protects predictions.
 */
import {
  GARCH_SERVICE_PATHS,
  GarchCustomRequestSchema,
  GarchCustomResponseSchema,
  GarchHealthySchema,
  GarchIndexSchema,
  GarchModelsListSchema,
  GarchPredictRequestSchema,
  GarchPredictResponseSchema,
  GarchUnhealthySchema,
} from "@mlops/contracts";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { callerGone } from "../caller-gone.js";
import { modelType } from "../garch/service.js";
import type { ForecastPath } from "../models/garch.js";
import { shedWith } from "../plugins/security.js";
import { fitErrors, flatParams, garchErrors } from "./garch.js";

const DAY_MS = 86_400_000;

/**
 * A forecast path in the design's shape: per step, by calendar day (the day after `now`, UTC,
 * onwards: the series carry no dates, so step h is h days from the request), and summarised.
 */
export function forecastBody(path: ForecastPath, requestId: string, now: number) {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const predictions: Record<string, number> = {};
  path.volatility.forEach((v, i) => {
    predictions[new Date(today + (i + 1) * DAY_MS).toISOString().slice(0, 10)] = v;
  });
  const vol = path.volatility;
  return {
    status: "success" as const,
    request_id: requestId,
    horizon: path.horizon,
    forecast_horizon: path.horizon,
    variance_forecast: path.variance,
    volatility_forecast: vol,
    predictions,
    summary: {
      mean_volatility: vol.reduce((a, b) => a + b, 0) / vol.length,
      max_volatility: Math.max(...vol),
      min_volatility: Math.min(...vol),
    },
  };
}

/** `GET /`, `GET /health` and `GET /models/list`. */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config, store, garch } = app;
  const startedAt = Date.now();
  const P = GARCH_SERVICE_PATHS;

  app.get(
    P.index,
    {
      schema: {
        summary: "The GARCH service and its endpoints",
        response: { 200: GarchIndexSchema },
      },
    },
    async () => ({
      service: "garch" as const,
      message: "GARCH volatility service",
      endpoints: {
        [`GET ${P.health}`]: "health check",
        [`GET ${P.models}`]: "registered GARCH models",
        [`POST ${P.predict}`]: "forecast from a registered model",
        [`POST ${P.custom}`]: "fit posted returns and forecast",
        "GET /docs": "OpenAPI",
      },
    }),
  );

  app.get(
    GARCH_SERVICE_PATHS.health,
    {
      schema: {
        summary:
          "Health of the GARCH service: healthy when its store answers and its default model resolves",
        response: { 200: GarchHealthySchema, 503: GarchUnhealthySchema },
      },
      // Shed under load in this contract's own shape, as a store outage is.
      config: {
        pressureHandler: shedWith((_request, reason) => ({
          status: "unhealthy" as const,
          timestamp: new Date().toISOString(),
          reason,
        })),
      },
    },
    async (_request, reply) => {
      const timestamp = new Date().toISOString();
      try {
        await store.ping();
      } catch (err) {
        app.log.warn({ err }, "store ping failed");
        return reply
          .code(503)
          .send({ status: "unhealthy" as const, timestamp, reason: "the store did not answer" });
      }
      // Every forecast that names no model takes the default: one that resolves to no
      // registered version (its alias deleted, the version gone) leaves the service unable to
      // answer them.
      const current = await garch.current().catch((err: unknown) => {
        app.log.warn({ err }, "the default GARCH model did not resolve");
        return undefined;
      });
      if (garch.defaultRef !== null && !current) {
        return reply.code(503).send({
          status: "unhealthy" as const,
          timestamp,
          reason:
            current === undefined
              ? `the default model ${garch.defaultRef} could not be loaded`
              : `the default model ${garch.defaultRef} names no registered version`,
        });
      }
      return {
        status: "healthy" as const,
        timestamp,
        service: "garch" as const,
        default_model: garch.defaultRef ?? "",
        store: { kind: config.store.kind, ok: true as const },
        uptime_s: (Date.now() - startedAt) / 1000,
      };
    },
  );

  app.get(
    GARCH_SERVICE_PATHS.models,
    {
      schema: {
        summary: "Registered GARCH models: order, distribution, sample size, fit date",
        response: { 200: GarchModelsListSchema },
      },
    },
    async () => {
      const models = await garch.list();
      return {
        status: "success" as const,
        default_model: garch.defaultRef ?? "",
        count: models.length,
        models,
      };
    },
  );
};

/** `POST /predict` and `POST /predict/custom`. */
export const predictRoutes: FastifyPluginAsyncZod = async (app) => {
  const { garch } = app;

  app.post(
    GARCH_SERVICE_PATHS.predict,
    {
      schema: {
        summary: "Variance and volatility forecast from a registered GARCH model",
        description: "`model` is NAME, NAME@version or NAME@alias; without it, the service's own.",
        body: GarchPredictRequestSchema,
        response: { 200: GarchPredictResponseSchema, ...garchErrors },
      },
    },
    async (request) => {
      const { model, horizon } = request.body;
      const { served, info, path } = await garch.forecast(model, horizon);
      return {
        ...forecastBody(path, request.id, Date.now()),
        model: { name: served.name, version: served.version },
        model_info: info,
      };
    },
  );

  app.post(
    GARCH_SERVICE_PATHS.custom,
    {
      schema: {
        summary: "Fit GARCH(p,q) on the posted returns, then forecast",
        description:
          "A series shorter than the model needs (at least 100 returns, more for larger orders) is a 400 that states the minimum.",
        body: GarchCustomRequestSchema,
        response: { 200: GarchCustomResponseSchema, ...fitErrors },
      },
    },
    async (request, reply) => {
      const { returns, p, q, dist, mean, horizon } = request.body;
      const { fit, path, minLength } = await garch.fitForecast(
        { returns, p, q, dist, mean, horizon },
        callerGone(reply),
      );
      return {
        ...forecastBody(path, request.id, Date.now()),
        model_info: {
          p,
          q,
          model_type: modelType(p, q),
          distribution: dist,
          mean,
          data_points: returns.length,
          min_data_points: minLength,
        },
        params: flatParams(fit.params),
        model_summary: {
          AIC: fit.aic,
          BIC: fit.bic,
          log_likelihood: fit.logLikelihood,
          converged: fit.converged,
        },
      };
    },
  );
};
