/**
 * `POST /predict` and `POST /predict/batch`: assign a variant, classify with its model, log the
 * prediction asynchronously, count it. This is the hot path: one zod parse of a small body, one
 * pass over the trees, an enqueue; nothing on it waits for the store. The handlers are
 * synchronous, so Fastify sends what they return at once, with no promise and no microtask
 * between the model and the reply (a thrown error takes the same path as a rejected promise).
 *
 * The canary override (edge/canary.ts) is honoured only for a trusted caller: its prediction is
 * served on the forced arm, logged as an override and counted apart, never in the prediction log
 * the A/B analysis reads. Anyone else's override is ignored where this process assigns the arm
 * (`split`); where the edge assigned it (`single`, one Deployment per arm) the edge may already
 * have obeyed it, so the request is refused (403) and counts nowhere.
 */
import {
  assignmentOf,
  BatchPredictResponseSchema,
  batchPredictRequestSchema,
  CANARY_OVERRIDE,
  ErrorResponseSchema,
  PredictRequestSchema,
  PredictResponseSchema,
  type ServedVariant,
} from "@mlops/contracts";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { assignVariant } from "../assignment.js";
import { type CanaryOverride, canaryOverride } from "../edge/canary.js";
import { ServingError } from "../errors.js";
import type { LatencySeries, PendingCount } from "../metrics.js";
import type { Classification, Classifier } from "../models/classifier.js";
import { predictionId } from "../request-id.js";
import { compiledSerializer } from "../serializer.js";

const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  503: ErrorResponseSchema,
};

const routes: FastifyPluginAsyncZod = async (app) => {
  const { config, served, metrics, predictionLog } = app;
  const experimentId = config.experimentId;
  // What put this process's predictions on their arm, recorded with each so the analysis knows.
  const { assignment, challenger_weight } = assignmentOf(config);

  // Each arm's metrics, bound once: no label set is built or hashed per request.
  const arms = new Map<
    ServedVariant,
    {
      readonly ok: PendingCount;
      readonly error: PendingCount;
      readonly latency: LatencySeries;
      readonly overrides: ReturnType<typeof metrics.overrides.labels>;
    }
  >();
  for (const [variant, model] of Object.entries(served.classifiers) as [
    ServedVariant,
    Classifier,
  ][]) {
    const labels = { variant, model: `${model.name}@${model.version}` };
    arms.set(variant, {
      ok: metrics.pendingRequests({ ...labels, status: "ok" }),
      error: metrics.pendingRequests({ ...labels, status: "error" }),
      latency: metrics.latency.labels(labels),
      overrides: metrics.overrides.labels(labels),
    });
  }

  /** The request's override, refused when it is not trusted and the edge chose the arm. */
  const overrideOf = (request: FastifyRequest): CanaryOverride => {
    const override = canaryOverride(request, app.edgeSecrets);
    if (override.kind === "untrusted" && config.mode === "single") {
      throw new ServingError(
        "CANARY_OVERRIDE_FORBIDDEN",
        `${CANARY_OVERRIDE.header} and the ${CANARY_OVERRIDE.cookie} cookie are honoured only with a valid ${CANARY_OVERRIDE.tokenHeader}`,
      );
    }
    return override;
  };

  /**
   * The arm for prediction `id`: fixed in single mode; in split mode the trusted override's, else
   * a stable hash of the user (of the server-made id without one, so no header picks the arm).
   */
  const variantFor = (
    id: string,
    userId: string | undefined,
    override: CanaryOverride,
  ): ServedVariant => {
    if (config.mode === "single") return config.variant!;
    if (override.kind === "trusted") return override.arm;
    return assignVariant(experimentId, userId ?? id, config.challengerWeight);
  };

  /**
   * Runs the model for the rows `ids` name, counts the request, and queues one record per row.
   * A model failure (not a client's bad row) is counted and logged with status `error`, which
   * the A/B analysis uses as the error-rate guardrail.
   */
  const serve = (
    request: FastifyRequest,
    ids: readonly string[],
    variant: ServedVariant,
    model: Classifier,
    userId: string | undefined,
    override: CanaryOverride,
    run: () => Classification[],
  ): Classification[] => {
    const started = performance.now();
    const account = (answers: Classification[] | null) => {
      const arm = arms.get(variant)!;
      if (override.kind === "trusted") {
        // A forced arm is no sample of the experiment: counted and logged as what it is.
        arm.overrides.inc(ids.length);
        request.log.info(
          { override: override.arm, variant, rows: ids.length, ok: answers !== null },
          "canary override",
        );
        return;
      }
      const latencyMs = performance.now() - started;
      arm[answers ? "ok" : "error"].inc();
      arm.latency.observe(latencyMs / 1000);
      const timestamp = Date.now();
      for (let i = 0; i < ids.length; i++) {
        const answer = answers?.[i];
        predictionLog.enqueue({
          request_id: ids[i]!,
          experiment_id: experimentId,
          variant,
          model_name: model.name,
          model_version: model.version,
          user_id: userId ?? null,
          prediction: answer?.prediction ?? null,
          probabilities: answer?.probabilities ?? null,
          latency_ms: latencyMs / ids.length,
          status: answer ? "ok" : "error",
          timestamp,
          assignment,
          challenger_weight,
        });
      }
    };
    let answers: Classification[];
    try {
      answers = run();
    } catch (error) {
      // A row of the wrong length is the client's error, not the model's: nothing to account.
      if ((error as { statusCode?: number }).statusCode !== 400) account(null);
      throw error;
    }
    account(answers);
    return answers;
  };

  app.post(
    "/predict",
    {
      schema: {
        summary: "Classify one row of features",
        body: PredictRequestSchema,
        response: { 200: PredictResponseSchema, ...errors },
      },
      serializerCompiler: compiledSerializer,
    },
    (request) => {
      const { features, user_id } = request.body;
      const override = overrideOf(request);
      const id = predictionId(request);
      const variant = variantFor(id, user_id, override);
      const model = served.classifier(variant);
      const [answer] = serve(request, [id], variant, model, user_id, override, () => [
        model.classify(features),
      ]);
      return {
        request_id: id,
        prediction: answer.prediction,
        probability: answer.probabilities[answer.prediction]!,
        probabilities: answer.probabilities,
        variant,
        model: { name: model.name, version: model.version },
        model_version: String(model.version),
        experiment_id: experimentId,
      };
    },
  );

  app.post(
    "/predict/batch",
    {
      schema: {
        summary: `Classify up to ${config.batchMaxRows} rows; each row gets its own request id`,
        body: batchPredictRequestSchema(config.batchMaxRows),
        response: { 200: BatchPredictResponseSchema, ...errors },
      },
      serializerCompiler: compiledSerializer,
    },
    (request) => {
      const { rows, user_id } = request.body;
      const override = overrideOf(request);
      const id = predictionId(request);
      const variant = variantFor(id, user_id, override);
      const model = served.classifier(variant);
      // Server-made ids only: no client's id can be `<id>.<row>` of another's batch.
      const ids = rows.map((_, i) => `${id}.${i}`);
      const answers = serve(request, ids, variant, model, user_id, override, () =>
        model.classifyBatch(rows),
      );
      return {
        predictions: answers.map((a, i) => ({ request_id: ids[i], ...a })),
        variant,
        model: { name: model.name, version: model.version },
        experiment_id: experimentId,
      };
    },
  );
};

export default routes;
