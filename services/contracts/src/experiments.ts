/**
 * A/B experiments: the definition (arms and weights, the primary metric, guardrails), its state,
 * and the append-only decisions the analysis writes.
 */
import { z } from "zod";
import { PinnedModelRefTextSchema } from "./model-ref.js";
import {
  EpochMsSchema,
  IdSchema,
  JsonValueSchema,
  MAX_TEXT,
  NameSchema,
  VariantNameSchema,
} from "./primitives.js";

/**
 * Model-quality metrics an experiment can be judged on: `accuracy` (outcome equals the predicted
 * class; higher is better), `log_loss` (of the observed class; lower is better), `outcome_mean`
 * (mean of a numeric outcome; higher is better).
 */
export const PrimaryMetricSchema = z.enum(["accuracy", "log_loss", "outcome_mean"]);
export type PrimaryMetric = z.infer<typeof PrimaryMetricSchema>;

/** Operational metrics guarded while an experiment runs. */
export const GuardrailMetricSchema = z.enum(["error_rate", "latency_mean_ms"]);
export type GuardrailMetric = z.infer<typeof GuardrailMetricSchema>;

/**
 * A guardrail: the challenger may be worse than the champion on `metric` by at most
 * `max_relative_increase` (0.1 = 10 % higher error rate or mean latency).
 */
export const GuardrailSchema = z.object({
  metric: GuardrailMetricSchema,
  max_relative_increase: z.number().min(0).max(100),
});
export type Guardrail = z.infer<typeof GuardrailSchema>;

/** One arm: its name, its share of traffic in integer percent, the model it serves. */
export const ExperimentVariantSchema = z.object({
  name: VariantNameSchema,
  weight: z.number().int().min(0).max(100),
  model: PinnedModelRefTextSchema,
});
export type ExperimentVariant = z.infer<typeof ExperimentVariantSchema>;

/** Lifecycle: defined → running → stopped (traffic paused) → concluded (a decision was applied). */
export const ExperimentStateSchema = z.enum(["draft", "running", "stopped", "concluded"]);
export type ExperimentState = z.infer<typeof ExperimentStateSchema>;

/** What a caller supplies to define an experiment. */
export const ExperimentInputSchema = z.object({
  id: NameSchema,
  description: z.string().max(MAX_TEXT).default(""),
  variants: z
    .array(ExperimentVariantSchema)
    .min(2)
    .max(16)
    .refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, {
      error: "variant names must be unique",
    })
    .refine((vs) => vs.reduce((s, v) => s + v.weight, 0) === 100, {
      error: "variant weights must sum to 100",
    }),
  primary_metric: PrimaryMetricSchema,
  guardrails: z.array(GuardrailSchema).max(16).default([]),
  /** Significance level of the tests behind decisions. */
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  state: ExperimentStateSchema.default("draft"),
});
export type ExperimentInput = z.input<typeof ExperimentInputSchema>;

/** An experiment as stored. */
export const ExperimentSchema = ExperimentInputSchema.extend({
  created_at: EpochMsSchema,
  updated_at: EpochMsSchema,
});
export type Experiment = z.infer<typeof ExperimentSchema>;

/** What the analysis concluded. */
export const DecisionKindSchema = z.enum(["promote", "continue", "rollback", "invalid"]);
export type DecisionKind = z.infer<typeof DecisionKindSchema>;

/** An arm as a decision names it: the variant and its model reference, as the experiment has them. */
export const DecisionVariantSchema = ExperimentVariantSchema.pick({ name: true, model: true });
export type DecisionVariant = z.infer<typeof DecisionVariantSchema>;

/** A decision with every number behind it; decisions are appended, never changed. */
export const DecisionSchema = z.object({
  id: IdSchema,
  experiment_id: NameSchema,
  decision: DecisionKindSchema,
  /**
   * The arms judged, in the experiment's order: what lets a release check that the decision is
   * about the models the stack serves. Absent on decisions recorded before decisions named them.
   */
  variants: z.array(DecisionVariantSchema).min(2).max(16).optional(),
  reason: z.string().min(1).max(MAX_TEXT),
  /** The statistics that led to the decision (tests, SRM, guardrails), as the analysis reports them. */
  evidence: z.record(z.string().max(256), JsonValueSchema),
  decided_at: EpochMsSchema,
});
export type Decision = z.infer<typeof DecisionSchema>;
