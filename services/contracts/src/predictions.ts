/**
 * Prediction logs, the outcomes clients post later, and the per-variant sufficient statistics the
 * A/B analysis reads (so a million records need no second pass).
 */
import { z } from "zod";
import {
  ASSIGNMENT_RULE,
  AssignmentSchema,
  ChallengerWeightSchema,
  consistentAssignment,
} from "./assignment.js";
import {
  ClassLabelSchema,
  EpochMsSchema,
  IdSchema,
  NameSchema,
  ProbabilitySchema,
  UserIdSchema,
  VariantNameSchema,
  VersionSchema,
} from "./primitives.js";

/** Class label → probability; at most 1000 classes. */
export const ProbabilitiesSchema = z
  .record(ClassLabelSchema, ProbabilitySchema)
  .refine((p) => Object.keys(p).length <= 1000, { error: "must have at most 1000 classes" });
export type Probabilities = z.infer<typeof ProbabilitiesSchema>;

/** `ok`: a prediction was returned; `error`: the model failed (counted by the error guardrail). */
export const PredictionStatusSchema = z.enum(["ok", "error"]);
export type PredictionStatus = z.infer<typeof PredictionStatusSchema>;

/**
 * One logged prediction. `request_id` is its id: writing it twice keeps one record. `assignment`
 * and `challenger_weight` say what put it on its arm (assignment.ts); a writer that leaves them
 * out records `unknown`, and records stored before they existed read back that way.
 */
export const PredictionRecordSchema = z
  .object({
    request_id: IdSchema,
    experiment_id: NameSchema,
    variant: VariantNameSchema,
    model_name: NameSchema,
    model_version: VersionSchema,
    user_id: UserIdSchema.nullable(),
    /** The predicted class; null when `status` is `error`. */
    prediction: ClassLabelSchema.nullable(),
    probabilities: ProbabilitiesSchema.nullable(),
    latency_ms: z.number().min(0).max(3_600_000),
    status: PredictionStatusSchema,
    timestamp: EpochMsSchema,
    assignment: AssignmentSchema.default("unknown"),
    challenger_weight: ChallengerWeightSchema.nullable().default(null),
  })
  .refine((r) => r.status === "error" || r.prediction !== null, {
    error: "prediction is required when status is 'ok'",
    path: ["prediction"],
  })
  .refine(consistentAssignment, { error: ASSIGNMENT_RULE, path: ["challenger_weight"] });
export type PredictionRecord = z.infer<typeof PredictionRecordSchema>;
/** A record as writers may give it: without `assignment` it is stored as `unknown`. */
export type PredictionRecordInput = z.input<typeof PredictionRecordSchema>;

/**
 * Largest magnitude of a numeric outcome. The A/B statistics keep sums of squared outcomes per
 * arm; at this bound those sums stay finite over any log (1e100 squared, times 1e100 records,
 * is still a double), where a single outcome of 1e300 would make them infinite for good.
 */
export const MAX_OUTCOME_MAGNITUDE = 1e100;

/** What an outcome may be, for messages. */
const OUTCOME_RULE =
  "must be a class label (1-128 characters, no control characters) or a finite number within ±1e100";

/**
 * Ground truth: a class label, or a number for numeric outcomes (revenue, clicks, …). A label is
 * text a person or a system reports, held to the user id's rule: no control characters.
 */
export const OutcomeValueSchema = z.union(
  [
    ClassLabelSchema.regex(/^[^\p{Cc}]*$/u, { error: "must not contain control characters" }),
    z.number().min(-MAX_OUTCOME_MAGNITUDE).max(MAX_OUTCOME_MAGNITUDE),
  ],
  { error: OUTCOME_RULE },
);
export type OutcomeValue = z.infer<typeof OutcomeValueSchema>;

/** An outcome for an earlier prediction; `request_id` is its id (one outcome per request). */
export const OutcomeRecordSchema = z.object({
  request_id: IdSchema,
  outcome: OutcomeValueSchema,
  timestamp: EpochMsSchema,
});
export type OutcomeRecord = z.infer<typeof OutcomeRecordSchema>;

/**
 * The class an outcome names: labels as given, numbers as their shortest decimal text (so an
 * outcome of `1` matches the class label "1" that a CSV produced).
 */
export function outcomeClass(outcome: OutcomeValue): string {
  return typeof outcome === "number" ? String(outcome) : outcome;
}

/**
 * Log-loss terms clip the predicted probability to [ε, 1 − ε] so a confident miss costs
 * −log(1e-15) ≈ 34.5 rather than infinity (scikit-learn's historical default).
 */
export const LOG_LOSS_EPSILON = 1e-15;

/** A half-open time window [from, to) in epoch milliseconds, on the prediction's timestamp. */
export const TimeWindowSchema = z
  .object({ from: EpochMsSchema, to: EpochMsSchema })
  .refine((w) => w.from <= w.to, { error: "from must not be after to", path: ["from"] });
export type TimeWindow = z.infer<typeof TimeWindowSchema>;

/**
 * What to aggregate: one experiment, the named variants, an optional time window. `centered`
 * asks for each metric's sums about one of its own values as well (`VariantAggregate.centered`,
 * `VariantUnits.centered`): a second read, for where the plain sums lost a variance to
 * cancellation.
 */
export const AggregateQuerySchema = z.object({
  experiment_id: NameSchema,
  variants: z.array(VariantNameSchema).min(1).max(16),
  window: TimeWindowSchema.optional(),
  centered: z.boolean().optional(),
});
export type AggregateQuery = z.infer<typeof AggregateQuerySchema>;

const count = z.number().int().min(0);

/**
 * One metric's sums about `shift`, one of the metric's own values in the window (0 where it has
 * none): Σ(x − shift) and Σ(x − shift)². Plain sums lose a variance when the mean is large
 * against the spread (Σx² − (Σx)²/n cancels: a metric near 1e8 with sd 1) and when every value is
 * one fraction (the rounding of Σx² is all that is left); about a value of its own, the squares
 * are as small as the spread, and repeats of one value sum to exactly 0.
 */
export const CenteredSumsSchema = z.object({
  shift: z.number(),
  sum: z.number(),
  sum_sq: z.number().min(0),
});
export type CenteredSums = z.infer<typeof CenteredSumsSchema>;

/**
 * Sufficient statistics of one variant. Prediction terms cover every record in the window;
 * outcome terms cover `ok` predictions that have an outcome: `outcome_count` those whose outcome
 * names one of the prediction's classes (a number such as revenue that names none is a value
 * only) and `correct_count` those where it is the predicted class, numeric sums over numeric
 * outcomes, and log loss over the class-naming ones that carry probabilities (−ln of the
 * clipped probability of the observed class). Each metric comes
 * with its sum of squares, so a variance (and a test) needs no second pass over the records.
 */
export const VariantAggregateSchema = z.object({
  variant: VariantNameSchema,
  count,
  error_count: count,
  latency_sum: z.number().min(0),
  latency_sum_sq: z.number().min(0),
  outcome_count: count,
  correct_count: count,
  outcome_value_count: count,
  outcome_sum: z.number(),
  outcome_sum_sq: z.number().min(0),
  log_loss_count: count,
  log_loss_sum: z.number().min(0),
  log_loss_sum_sq: z.number().min(0),
  /** Present when the query asked for it (`AggregateQuery.centered`). */
  centered: z
    .object({
      latency: CenteredSumsSchema,
      outcome: CenteredSumsSchema,
      log_loss: CenteredSumsSchema,
    })
    .optional(),
});
export type VariantAggregate = z.infer<typeof VariantAggregateSchema>;

/** One metric's per-unit terms about `shift` (see `VariantUnits`). */
export const CenteredUnitSumsSchema = z.object({
  shift: z.number(),
  sum_n: z.number(),
  sum_sq: z.number().min(0),
});
export type CenteredUnitSums = z.infer<typeof CenteredUnitSumsSchema>;

/**
 * One variant's units as a user-hash split randomises them, with the outcome metrics' per-unit
 * terms (what the A/B analysis reads where the user is the unit; a read that groups the window's
 * records by unit, so it is asked for only there). `user_count` is the distinct non-null user ids
 * and `unit_count` those users plus every prediction without a user id (hashed by its request
 * id, so each is a unit of its own): the sample-ratio check counts units. For each outcome metric
 * (`accuracy`: correct, `outcome`: numeric value, `log_loss`), with n_u a unit's observations of
 * it and S_u their sum, `<m>_units` counts units with n_u > 0, `<m>_unit_n_sq` = Σn_u²,
 * `<m>_unit_sum_n` = ΣS_u·n_u and `<m>_unit_sum_sq` = ΣS_u²: the terms of a variance that holds
 * when a user's observations are correlated. `centered` (when the query asks for it) has the
 * numeric metrics' terms about one of their own values (`CenteredSums`): with S'_u = S_u −
 * shift·n_u, `sum_n` = ΣS'_u·n_u and `sum_sq` = ΣS'_u².
 */
export const VariantUnitsSchema = z.object({
  variant: VariantNameSchema,
  user_count: count,
  unit_count: count,
  accuracy_units: count,
  accuracy_unit_n_sq: count,
  accuracy_unit_sum_n: count,
  accuracy_unit_sum_sq: count,
  outcome_units: count,
  outcome_unit_n_sq: count,
  outcome_unit_sum_n: z.number(),
  outcome_unit_sum_sq: z.number().min(0),
  log_loss_units: count,
  log_loss_unit_n_sq: count,
  log_loss_unit_sum_n: z.number().min(0),
  log_loss_unit_sum_sq: z.number().min(0),
  centered: z
    .object({ outcome: CenteredUnitSumsSchema, log_loss: CenteredUnitSumsSchema })
    .optional(),
});
export type VariantUnits = z.infer<typeof VariantUnitsSchema>;

/** A variant's aggregate over no records: the zeros every sum starts from. */
export function emptyAggregate(variant: string): VariantAggregate {
  return {
    variant,
    count: 0,
    error_count: 0,
    latency_sum: 0,
    latency_sum_sq: 0,
    outcome_count: 0,
    correct_count: 0,
    outcome_value_count: 0,
    outcome_sum: 0,
    outcome_sum_sq: 0,
    log_loss_count: 0,
    log_loss_sum: 0,
    log_loss_sum_sq: 0,
  };
}

/** A variant's units over no records. */
export function emptyUnits(variant: string): VariantUnits {
  return {
    variant,
    user_count: 0,
    unit_count: 0,
    accuracy_units: 0,
    accuracy_unit_n_sq: 0,
    accuracy_unit_sum_n: 0,
    accuracy_unit_sum_sq: 0,
    outcome_units: 0,
    outcome_unit_n_sq: 0,
    outcome_unit_sum_n: 0,
    outcome_unit_sum_sq: 0,
    log_loss_units: 0,
    log_loss_unit_n_sq: 0,
    log_loss_unit_sum_n: 0,
    log_loss_unit_sum_sq: 0,
  };
}

/** A prediction joined with its outcome, as the sequential analysis replays them in time order. */
export const JoinedPairSchema = z.object({
  request_id: IdSchema,
  variant: VariantNameSchema,
  timestamp: EpochMsSchema,
  prediction: ClassLabelSchema.nullable(),
  probabilities: ProbabilitiesSchema.nullable(),
  latency_ms: z.number().min(0),
  status: PredictionStatusSchema,
  outcome: OutcomeValueSchema,
  outcome_timestamp: EpochMsSchema,
});
export type JoinedPair = z.infer<typeof JoinedPairSchema>;
