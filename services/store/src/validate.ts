/**
 * Input checks at the repository boundary: the same contracts schemas the HTTP and CLI edges
 * use, so a bad record fails with a `ContractValidationError` naming the field and the rule.
 */
import {
  AggregateQuerySchema,
  AliasSchema,
  DecisionSchema,
  ExperimentInputSchema,
  MetricPointSchema,
  type ModelRef,
  ModelRefSchema,
  ModelVersionInputSchema,
  ModelVersionStatusSchema,
  NameSchema,
  OutcomeRecordSchema,
  ParamsSchema,
  PredictionRecordSchema,
  parseOrThrow,
  RunArtifactSchema,
  RunInputSchema,
  TagsSchema,
  TimeWindowSchema,
  VariantNameSchema,
  VersionSchema,
} from "@mlops/contracts";
import { z } from "zod";

const predictionBatch = z.array(PredictionRecordSchema).max(1_000_000);
const outcomeBatch = z.array(OutcomeRecordSchema).max(1_000_000);
const JoinedQuerySchema = z.object({
  experiment_id: NameSchema,
  variant: VariantNameSchema,
  window: TimeWindowSchema.optional(),
});
const metricBatch = z.array(MetricPointSchema).max(100_000);
const artifactBatch = z.array(RunArtifactSchema).max(10_000);
/** How a registration ends: it cannot end pending. */
const FinishedStatusSchema = ModelVersionStatusSchema.exclude(["PENDING_REGISTRATION"]);

export const check = {
  modelInput: (v: unknown) => parseOrThrow(ModelVersionInputSchema, v, "model version"),
  name: (v: unknown) => parseOrThrow(NameSchema, v, "name"),
  version: (v: unknown) => parseOrThrow(VersionSchema, v, "version"),
  alias: (v: unknown) => parseOrThrow(AliasSchema, v, "alias"),
  finishedStatus: (v: unknown) => parseOrThrow(FinishedStatusSchema, v, "registration status"),
  modelRef: (v: ModelRef | string): ModelRef =>
    typeof v === "string" ? parseOrThrow(ModelRefSchema, v, "model reference") : v,
  runInput: (v: unknown) => parseOrThrow(RunInputSchema, v, "run"),
  params: (v: unknown) => parseOrThrow(ParamsSchema, v, "params"),
  tags: (v: unknown) => parseOrThrow(TagsSchema, v, "tags"),
  metrics: (v: unknown) => parseOrThrow(metricBatch, v, "metric points"),
  artifacts: (v: unknown) => parseOrThrow(artifactBatch, v, "artifacts"),
  experimentInput: (v: unknown) => parseOrThrow(ExperimentInputSchema, v, "experiment"),
  decision: (v: unknown) => parseOrThrow(DecisionSchema, v, "decision"),
  predictions: (v: unknown) => parseOrThrow(predictionBatch, v, "prediction records"),
  outcomes: (v: unknown) => parseOrThrow(outcomeBatch, v, "outcome records"),
  aggregateQuery: (v: unknown) => parseOrThrow(AggregateQuerySchema, v, "aggregate query"),
  joinedQuery: (v: unknown) => parseOrThrow(JoinedQuerySchema, v, "joined-pairs query"),
};
