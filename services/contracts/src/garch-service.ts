/**
 * The GARCH volatility service (`MLOPS_MODE=garch`): the second design's API, which its clients,
 * checks and scripts call as they are. The same fits and forecasts as the platform's `/garch/*`
 * routes, under the design's paths and field names: `GET /health`, `GET /models/list`,
 * `POST /predict` (a registered model) and `POST /predict/custom` (fit the posted returns).
 * The server answers with these schemas and the smoke test reads answers with them.
 */
import { z } from "zod";
import {
  GarchDistSchema,
  GarchFitForecastRequestSchema,
  HorizonSchema,
  ServedModelSchema,
} from "./api.js";
import { AliasSchema, ModelRefTextSchema } from "./model-ref.js";
import { IdSchema, NameSchema, VersionSchema } from "./primitives.js";

/** The service's routes. */
export const GARCH_SERVICE_PATHS = {
  index: "/",
  health: "/health",
  models: "/models/list",
  predict: "/predict",
  custom: "/predict/custom",
} as const;

/**
 * Paths the service's public route carries, each with how it matches (`isPublicPath`): `/health`
 * exactly (the one health path its clients and the availability test call from outside; the
 * probes' `/health/live` and `/health/ready` stay in the cluster), `/models/list`, and `/predict`
 * as a prefix of whole path elements, so `/predict/custom` with it. The index, `/metrics`,
 * `/docs` and the `/garch/*` routes stay in the cluster.
 */
export const GARCH_PUBLIC_PATHS = [
  { path: GARCH_SERVICE_PATHS.health, match: "exact" },
  { path: GARCH_SERVICE_PATHS.models, match: "prefix" },
  { path: GARCH_SERVICE_PATHS.predict, match: "prefix" },
] as const;

/** Steps forecast when a request names none (the design's default). */
export const GARCH_SERVICE_DEFAULT_HORIZON = 5;

const IsoTimeSchema = z.iso.datetime();
const OrderSchema = z.number().int().min(0).max(20);

/** `GET /` → 200: what the service is and where its endpoints are. */
export const GarchIndexSchema = z.object({
  service: z.literal("garch"),
  message: z.string().max(200),
  /** `METHOD path` → what it does. */
  endpoints: z.record(z.string().max(64), z.string().max(200)),
});

/** `GET /health` → 200: the service answers, its store answers and its default model is loaded. */
export const GarchHealthySchema = z.object({
  status: z.literal("healthy"),
  timestamp: IsoTimeSchema,
  service: z.literal("garch"),
  /** The model `/predict` forecasts from when a request names none. */
  default_model: z.string().max(200),
  store: z.object({ kind: z.enum(["sqlite", "cosmos"]), ok: z.literal(true) }),
  uptime_s: z.number().min(0),
});

/** `GET /health` → 503: why the service cannot serve. */
export const GarchUnhealthySchema = z.object({
  status: z.literal("unhealthy"),
  timestamp: IsoTimeSchema,
  reason: z.string().max(500),
});

/** One registered GARCH model version as `/models/list` and `/predict` describe it. */
export const GarchModelInfoSchema = z.object({
  name: NameSchema,
  version: VersionSchema,
  /** `name@version`, what `/predict` accepts as `model`. */
  ref: z.string().max(200),
  aliases: z.array(AliasSchema).max(100),
  /** Whether this is the version `/predict` serves when a request names no model. */
  default: z.boolean(),
  p: OrderSchema,
  q: OrderSchema,
  /** `GARCH(p,q)`. */
  model_type: z.string().max(32),
  distribution: GarchDistSchema,
  mean: z.enum(["zero", "constant", "ar"]),
  /** Observations the likelihood was computed on. */
  sample_size: z.number().int().min(1),
  /** When the version was fitted and registered (ISO-8601 UTC). */
  fit_date: IsoTimeSchema,
  log_likelihood: z.number(),
  aic: z.number(),
  bic: z.number(),
  converged: z.boolean(),
});
export type GarchModelInfo = z.infer<typeof GarchModelInfoSchema>;

/** Most versions `/models/list` describes (newest first within each model). */
export const GARCH_LIST_LIMIT = 100;

/** `GET /models/list` → 200. */
export const GarchModelsListSchema = z.object({
  status: z.literal("success"),
  default_model: z.string().max(200),
  count: z.number().int().min(0),
  models: z.array(GarchModelInfoSchema).max(GARCH_LIST_LIMIT),
});
export type GarchModelsList = z.infer<typeof GarchModelsListSchema>;

/** A forecast as the service reports it: per step, and keyed by the calendar day it is for. */
const ForecastBodySchema = z.object({
  status: z.literal("success"),
  request_id: IdSchema,
  horizon: HorizonSchema,
  /** The design's name for `horizon`. */
  forecast_horizon: HorizonSchema,
  /** Conditional variance for steps 1..horizon, in the squared units of the returns. */
  variance_forecast: z.array(z.number().min(0)),
  /** Its square root: the volatility path. */
  volatility_forecast: z.array(z.number().min(0)),
  /** Volatility by forecast day (`YYYY-MM-DD`, from the day after the request, UTC). */
  predictions: z.record(z.string().regex(/^\d{4}-\d{2}-\d{2}$/), z.number().min(0)),
  summary: z.object({
    mean_volatility: z.number().min(0),
    max_volatility: z.number().min(0),
    min_volatility: z.number().min(0),
  }),
});

/** `POST /predict`: forecast from a registered model; `model` defaults to the service's own. */
export const GarchPredictRequestSchema = z.strictObject({
  model: ModelRefTextSchema.optional(),
  horizon: HorizonSchema.default(GARCH_SERVICE_DEFAULT_HORIZON),
});
export type GarchPredictRequest = z.infer<typeof GarchPredictRequestSchema>;

/** `POST /predict` → 200. */
export const GarchPredictResponseSchema = ForecastBodySchema.extend({
  model: ServedModelSchema,
  model_info: GarchModelInfoSchema,
});
export type GarchPredictResponse = z.infer<typeof GarchPredictResponseSchema>;

/**
 * `POST /predict/custom`: fit GARCH(p,q) on the posted returns, then forecast; the platform's
 * fit-and-forecast body, with the design's default horizon.
 */
export const GarchCustomRequestSchema = GarchFitForecastRequestSchema.extend({
  horizon: HorizonSchema.default(GARCH_SERVICE_DEFAULT_HORIZON),
});
export type GarchCustomRequest = z.infer<typeof GarchCustomRequestSchema>;

/** `POST /predict/custom` → 200. */
export const GarchCustomResponseSchema = ForecastBodySchema.extend({
  model_info: z.object({
    p: OrderSchema,
    q: OrderSchema,
    model_type: z.string().max(32),
    distribution: GarchDistSchema,
    mean: z.enum(["zero", "constant"]),
    /** Returns posted. */
    data_points: z.number().int().min(1),
    /** The shortest series this model is fitted on. */
    min_data_points: z.number().int().min(1),
  }),
  params: z.record(z.string().max(64), z.number()),
  model_summary: z.object({
    AIC: z.number(),
    BIC: z.number(),
    log_likelihood: z.number(),
    converged: z.boolean(),
  }),
});
export type GarchCustomResponse = z.infer<typeof GarchCustomResponseSchema>;
