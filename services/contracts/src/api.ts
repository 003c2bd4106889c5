/**
 * Request and response bodies of the prediction API. Limits here are hard ceilings; the server
 * may configure tighter ones (`batchPredictRequestSchema(maxRows)`).
 */
import { z } from "zod";
import { AssignmentReportSchema } from "./assignment.js";
import { MAX_ISSUE_TEXT, MAX_LISTED_ISSUES } from "./errors.js";
import { AliasSchema, ModelRefTextSchema } from "./model-ref.js";
import { OutcomeValueSchema, ProbabilitiesSchema, VariantAggregateSchema } from "./predictions.js";
import {
  ClassLabelSchema,
  EpochMsSchema,
  IdSchema,
  JsonValueSchema,
  MAX_TEXT,
  NameSchema,
  ServedVariantSchema,
  UserIdSchema,
  VariantNameSchema,
  VersionSchema,
} from "./primitives.js";
import { ClassifierAlgorithmSchema, ModelKindSchema, ModelVersionSchema } from "./registry.js";

/** Hard ceiling on features per row. */
export const MAX_FEATURES = 1024;
/** Hard ceiling on rows per batch request (the server's configured limit is at most this). */
export const MAX_BATCH_ROWS = 10_000;
/**
 * A client's `x-request-id`: a correlation id only, written with the request's log lines and
 * echoed in the `x-request-id` answer header (one the server made when it is not a valid id).
 * It is never a prediction's id: the server makes every `request_id` a prediction answers with,
 * so requests that share a header are still one prediction each.
 */
export const ClientRequestIdSchema = IdSchema;
/** Limits on `POST /garch/fit-forecast`: series length, orders and horizon. */
export const GARCH_LIMITS = {
  minReturns: 100,
  maxReturns: 20_000,
  maxP: 5,
  maxQ: 5,
  maxHorizon: 1000,
} as const;

/** One row of numeric features, in the order of the model's feature schema. */
export const FeatureRowSchema = z.array(z.number()).min(1).max(MAX_FEATURES);

/** `POST /predict`. */
export const PredictRequestSchema = z.strictObject({
  features: FeatureRowSchema,
  /** Keeps a user on one arm in split mode; optional (a random arm otherwise). */
  user_id: UserIdSchema.optional(),
});
export type PredictRequest = z.infer<typeof PredictRequestSchema>;

/** The served model. */
export const ServedModelSchema = z.object({ name: NameSchema, version: VersionSchema });
export type ServedModel = z.infer<typeof ServedModelSchema>;

/**
 * `POST /predict` → 200. `probability` (of the predicted class) and `model_version` keep the
 * original design's response fields, so its clients and load harness read this API unchanged.
 */
export const PredictResponseSchema = z.object({
  /**
   * The prediction's id, made by the server (a time-ordered UUIDv7): what `/feedback` names. It
   * equals the `x-request-id` answer header unless the client sent its own.
   */
  request_id: IdSchema,
  prediction: ClassLabelSchema,
  probability: z.number().min(0).max(1),
  probabilities: ProbabilitiesSchema,
  variant: ServedVariantSchema,
  model: ServedModelSchema,
  model_version: z.string().regex(/^\d+$/),
  experiment_id: NameSchema,
});
export type PredictResponse = z.infer<typeof PredictResponseSchema>;

/** `POST /predict/batch` with at most `maxRows` rows (≤ `MAX_BATCH_ROWS`). */
export function batchPredictRequestSchema(maxRows: number) {
  return z.strictObject({
    rows: z.array(FeatureRowSchema).min(1).max(Math.min(maxRows, MAX_BATCH_ROWS)),
    user_id: UserIdSchema.optional(),
  });
}
/** `POST /predict/batch` at the hard ceiling. */
export const BatchPredictRequestSchema = batchPredictRequestSchema(MAX_BATCH_ROWS);
export type BatchPredictRequest = z.infer<typeof BatchPredictRequestSchema>;

/** `POST /predict/batch` → 200: one entry per row, in order, each with its own request id. */
export const BatchPredictResponseSchema = z.object({
  predictions: z
    .array(
      z.object({
        /** The row's prediction id, `<server-made id>.<row>`: what `/feedback` names. */
        request_id: IdSchema,
        prediction: ClassLabelSchema,
        probabilities: ProbabilitiesSchema,
      }),
    )
    .max(MAX_BATCH_ROWS),
  variant: ServedVariantSchema,
  model: ServedModelSchema,
  experiment_id: NameSchema,
});
export type BatchPredictResponse = z.infer<typeof BatchPredictResponseSchema>;

/** Forecast steps, 1 to `GARCH_LIMITS.maxHorizon`. */
export const HorizonSchema = z.number().int().min(1).max(GARCH_LIMITS.maxHorizon);

/** `POST /garch/forecast`: `model` is `NAME`, `NAME@version` or `NAME@alias`. */
export const GarchForecastRequestSchema = z.strictObject({
  model: ModelRefTextSchema,
  horizon: HorizonSchema,
});
export type GarchForecastRequest = z.infer<typeof GarchForecastRequestSchema>;

/** Conditional variance and volatility (its square root) for steps 1..horizon. */
export const ForecastPathSchema = z.object({
  horizon: HorizonSchema,
  variance: z.array(z.number().min(0)).max(GARCH_LIMITS.maxHorizon),
  volatility: z.array(z.number().min(0)).max(GARCH_LIMITS.maxHorizon),
});

/** `POST /garch/forecast` → 200. */
export const GarchForecastResponseSchema = ForecastPathSchema.extend({ model: ServedModelSchema });
export type GarchForecastResponse = z.infer<typeof GarchForecastResponseSchema>;

/** Error distributions the GARCH core fits. */
export const GarchDistSchema = z.enum(["normal", "t", "skewt", "ged"]);

/**
 * A posted return series. Its lower bound depends on the model asked for (at least
 * `GARCH_LIMITS.minReturns`, more for larger orders), so the server checks it and names the
 * model's minimum; the schema bounds only the size of the body.
 */
export const ReturnsSchema = z.array(z.number()).min(1).max(GARCH_LIMITS.maxReturns);

/** `POST /garch/fit-forecast`: fit GARCH(p,q) on the posted returns, then forecast. */
export const GarchFitForecastRequestSchema = z.strictObject({
  returns: ReturnsSchema,
  p: z.number().int().min(1).max(GARCH_LIMITS.maxP).default(1),
  q: z.number().int().min(0).max(GARCH_LIMITS.maxQ).default(1),
  dist: GarchDistSchema.default("normal"),
  mean: z.enum(["zero", "constant"]).default("constant"),
  horizon: HorizonSchema,
});
export type GarchFitForecastRequest = z.infer<typeof GarchFitForecastRequestSchema>;

/** `POST /garch/fit-forecast` → 200: the fit's parameters and criteria, then the forecast. */
export const GarchFitForecastResponseSchema = ForecastPathSchema.extend({
  params: z.record(z.string().max(64), z.number()),
  log_likelihood: z.number(),
  aic: z.number(),
  bic: z.number(),
  converged: z.boolean(),
});
export type GarchFitForecastResponse = z.infer<typeof GarchFitForecastResponseSchema>;

/**
 * `POST /feedback`. A label outcome must be a class of the served classifier (the server checks:
 * the classes are its models'); a number is a numeric outcome (revenue, clicks, …), which also
 * counts as a class for accuracy and log loss when it names one (1 for class "1").
 */
export const FeedbackRequestSchema = z.strictObject({
  /** The `request_id` a prediction answered with (not the client's `x-request-id`). */
  request_id: IdSchema,
  outcome: OutcomeValueSchema,
});
export type FeedbackRequest = z.infer<typeof FeedbackRequestSchema>;

/** `POST /feedback` → 202: `duplicate` when an outcome for the request was already recorded. */
export const FeedbackResponseSchema = z.object({
  request_id: IdSchema,
  duplicate: z.boolean(),
});
export type FeedbackResponse = z.infer<typeof FeedbackResponseSchema>;

/**
 * `GET /ab-test/stats` → 200: sufficient statistics per variant over all the experiment's
 * predictions, which configurations assigned them (`assignment`), and the current analysis, which
 * reads the current configuration's period only.
 */
export const AbStatsResponseSchema = z.object({
  experiment_id: NameSchema,
  generated_at: EpochMsSchema,
  /** The split this process is configured with. */
  weights: z.record(VariantNameSchema, z.number().int().min(0).max(100)),
  variants: z.array(VariantAggregateSchema).max(16),
  assignment: AssignmentReportSchema,
  /** The analysis as `@mlops/experiments` reports it; null before there is enough data. */
  analysis: z.record(z.string().max(256), JsonValueSchema).nullable(),
});
export type AbStatsResponse = z.infer<typeof AbStatsResponseSchema>;

/**
 * The probe routes: liveness (the process answers) and readiness (models loaded and the process
 * not shedding load, so traffic may come; not the shared store, whose outage would take every
 * replica out at once). The server registers them, Kubernetes probes them, and the smoke
 * test checks them.
 */
export const HEALTH_PATHS = { live: "/health/live", ready: "/health/ready" } as const;

/** `GET /health/live` → 200. */
export const LiveResponseSchema = z.object({ status: z.literal("live") });
/** `GET /health/ready` → 200 (503 with the error body when not ready). */
export const ReadyResponseSchema = z.object({ status: z.literal("ready") });

/** `GET /models` → 200: what this process serves, and what the registry holds. */
export const ModelsResponseSchema = z.object({
  served: z.array(
    z.object({
      variant: ServedVariantSchema.or(z.literal("garch")),
      name: NameSchema,
      version: VersionSchema,
      kind: ModelKindSchema,
      /** A classifier's algorithm; null for GARCH. */
      algorithm: ClassifierAlgorithmSchema.nullable(),
    }),
  ),
  registered: z.array(
    z.object({
      name: NameSchema,
      kind: ModelKindSchema,
      /** The newest version of any status. */
      latest_version: VersionSchema,
      /** The newest READY version, which the bare name resolves to; null while none is. */
      ready_version: VersionSchema.nullable(),
      aliases: z.record(AliasSchema, VersionSchema),
    }),
  ),
});
export type ModelsResponse = z.infer<typeof ModelsResponseSchema>;

/** `GET /models/:name` → 200: every version, newest first, and where the aliases point. */
export const ModelDetailResponseSchema = z.object({
  name: NameSchema,
  versions: z.array(ModelVersionSchema),
  aliases: z.record(AliasSchema, VersionSchema),
});
export type ModelDetailResponse = z.infer<typeof ModelDetailResponseSchema>;

/**
 * Every 4xx/5xx body. On 400 `issues` lists field paths and rules, at most MAX_LISTED_ISSUES of
 * them, and `issue_count` says how many rules the request broke in all; 5xx never carry internals.
 */
export const ErrorResponseSchema = z.object({
  error: z.string().min(1).max(64),
  message: z.string().max(MAX_TEXT),
  request_id: IdSchema.optional(),
  issues: z
    .array(
      z.object({ path: z.string().max(MAX_ISSUE_TEXT), message: z.string().max(MAX_ISSUE_TEXT) }),
    )
    .max(MAX_LISTED_ISSUES)
    .optional(),
  issue_count: z.number().int().min(0).optional(),
});
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
