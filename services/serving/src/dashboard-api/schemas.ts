/**
 * Response schemas of the dashboard's JSON endpoints. They are dashboard-only views (shapes the
 * page draws), so they live beside the routes rather than in `@mlops/contracts`; the page imports
 * their types (`import type`), so the server and the page cannot disagree on a field.
 */
import {
  ClassifierAlgorithmSchema,
  DecisionKindSchema,
  decimalText,
  MetricsSchema,
  NameSchema,
  ParamsSchema,
  PrimaryMetricSchema,
  ServedModelSchema,
  ServedVariantSchema,
  VersionSchema,
} from "@mlops/contracts";
import { z } from "zod";

/** A number that may be undefined for the data so far (no traffic in an interval, n < 2, …). */
const Maybe = z.number().nullable();
const Interval = z.tuple([z.number(), z.number()]);

/** `GET /dashboard/api/traffic`: in-process metrics over the last minutes. */
export const TrafficViewSchema = z.object({
  generated_at: z.number(),
  /** Seconds between samples. */
  interval_s: z.number(),
  /** End of each sampled interval (epoch seconds), oldest first. */
  t: z.array(z.number()),
  /** Prediction requests per second in each interval, by variant. */
  rate: z.record(ServedVariantSchema, z.array(z.number())),
  /** Latency percentiles (ms) of the predictions in each interval, both variants together. */
  latency_ms: z.object({ p50: z.array(Maybe), p95: z.array(Maybe), p99: z.array(Maybe) }),
  /** Share of prediction requests that failed in each interval (null: no requests). */
  error_rate: z.array(Maybe),
  /** Prediction-log buffer depth at the end of each interval. */
  queue_depth: z.array(z.number()),
  /** Since this process started, by variant. */
  totals: z.record(ServedVariantSchema, z.object({ ok: z.number(), error: z.number() })),
  /** The prediction log's counters now. */
  log: z.object({
    depth: z.number(),
    written: z.number(),
    dropped: z.number(),
    failed_writes: z.number(),
  }),
});
export type TrafficView = z.infer<typeof TrafficViewSchema>;

const ArmSchema = z.object({
  variant: z.string(),
  /** Configured share of traffic, in percent. */
  weight: z.number(),
  /** Predictions recorded in the store (every replica). */
  predictions: z.number(),
  /** Observations of the primary metric (predictions with an outcome). */
  n: z.number(),
  mean: Maybe,
  /**
   * Interval of the mean at the experiment's level (accuracy's Wilson interval, within [0, 1];
   * log loss's never below 0); null while n < 2 or while the store's sums cannot resolve the
   * variance.
   */
  ci: Interval.nullable(),
});

const LiftPointSchema = z.object({
  observations: z.number(),
  diff: z.number(),
  ci: Interval,
  p_value: z.number(),
});

/** `GET /dashboard/api/experiment`: the A/B analysis of the configured experiment. */
export const ExperimentViewSchema = z.object({
  experiment_id: z.string(),
  generated_at: z.number(),
  /** Null when the store holds no experiment of that id; `message` says so. */
  analysis: z
    .object({
      state: z.string(),
      primary_metric: PrimaryMetricSchema,
      better: z.enum(["higher", "lower"]),
      alpha: z.number(),
      control: z.string(),
      treatment: z.string(),
      arms: z.array(ArmSchema),
      srm: z
        .object({
          chi2: z.number(),
          p_value: z.number(),
          threshold: z.number(),
          mismatch: z.boolean(),
        })
        .nullable(),
      decision: z.object({
        kind: DecisionKindSchema,
        reasons: z.array(z.string()),
        /** treatment − control with its always-valid interval and p-value, when compared. */
        diff: Maybe,
        ci: Interval.nullable(),
        p_value: Maybe,
      }),
      /** Cumulative lift (treatment − control) with its always-valid band, oldest look first. */
      lift: z.array(LiftPointSchema),
      /** What the lift band's variance counts as independent; null without a comparison. */
      lift_band: z
        .object({
          /**
           * `observation`: each prediction with an outcome. `user`: each user, as the decision
           * counts them under a user-hash split; the replayed pairs carry no user id, so every
           * look scales each arm's per-observation variance by `design_effect`.
           */
          independent: z.enum(["observation", "user"]),
          /**
           * Per arm, the decision's Var(mean) over the per-observation one (1 per observation):
           * the last look's band is the decision's interval.
           */
          design_effect: z.object({ control: z.number(), treatment: z.number() }),
        })
        .nullable(),
      /** The last decision the pipeline recorded (what moved traffic), if any. */
      recorded: z
        .object({ kind: DecisionKindSchema, reason: z.string(), decided_at: z.number() })
        .nullable(),
    })
    .nullable(),
  message: z.string().nullable(),
});
export type ExperimentView = z.infer<typeof ExperimentViewSchema>;

const ServedClassifierSchema = ServedModelSchema.extend({
  variant: ServedVariantSchema,
  kind: z.string(),
  /** How the classifier was learned: forest or gbdt. */
  algorithm: ClassifierAlgorithmSchema,
  created_at: z.number(),
  run_id: z.string().nullable(),
  metrics: MetricsSchema,
  params: ParamsSchema,
  aliases: z.array(z.string()),
  /** Same-origin link to the version's model card, null when it was registered without one. */
  card_url: z.string().nullable(),
});

/** `GET /dashboard/api/models`: what this process serves and the registered GARCH models. */
export const ModelsViewSchema = z.object({
  generated_at: z.number(),
  served: z.array(ServedClassifierSchema),
  garch: z.array(
    z.object({
      name: NameSchema,
      /** The newest READY version, which the panel draws; null while none is. */
      ready_version: VersionSchema.nullable(),
      aliases: z.record(z.string(), z.number()),
      /** The fit this process serves for `POST /garch/forecast` by default. */
      served: z.boolean(),
    }),
  ),
});
export type ModelsView = z.infer<typeof ModelsViewSchema>;

/**
 * Query of the dashboard's endpoints that read none: a parameter sent is refused, naming it,
 * rather than ignored, as a misspelt one would otherwise be.
 */
export const NoQuerySchema = z.strictObject({});

/** Query of `GET /dashboard/api/garch/:name`; an unknown parameter is refused, naming it. */
export const GarchViewQuerySchema = z.strictObject({
  /** Fitted observations to return, the most recent. */
  history: decimalText(z.number().int().min(10).max(5000), true).default(250),
  /** Forecast steps. */
  horizon: decimalText(z.number().int().min(1).max(250), true).default(20),
});

/** `GET /dashboard/api/garch/:name`: fitted conditional volatility and the forecast with band. */
export const GarchViewSchema = z.object({
  model: ServedModelSchema,
  spec: z.object({ p: z.number(), q: z.number(), dist: z.string(), mean: z.string() }),
  params: z.record(z.string(), z.number()),
  converged: z.boolean(),
  /** Observations in the fit. */
  nobs: z.number(),
  /** sqrt(h_t) of the last `history` observations; index 0 is observation `first_index`. */
  fitted: z.object({ first_index: z.number(), volatility: z.array(Maybe) }),
  /** Steps 1..horizon after the sample: volatility, mean return and its central band. */
  forecast: z.object({
    volatility: z.array(z.number()),
    mean: z.array(z.number()),
    lower: z.array(z.number()),
    upper: z.array(z.number()),
    level: z.number(),
  }),
});
export type GarchView = z.infer<typeof GarchViewSchema>;

/** Params of `GET /dashboard/api/models/:name/:version/card`. */
export const CardParamsSchema = z.object({
  name: NameSchema,
  version: decimalText(VersionSchema, true),
});
