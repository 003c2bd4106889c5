/**
 * `POST /predict` and `POST /predict/batch`: assign a variant, classify with its model, log the
 * prediction asynchronously, count it. This is the hot path: one zod parse of a small body, one
 * pass over the trees, an enqueue; nothing on it waits for the store.
 */
import {
  BatchPredictResponseSchema,
  batchPredictRequestSchema,
  ErrorResponseSchema,
  PredictRequestSchema,
  PredictResponseSchema,
  type ServedVariant,
} from "@mlops/contracts";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { assignVariant } from "../assignment.js";
import type { Classification, Classifier } from "../models/classifier.js";
import { compiledSerializer } from "../serializer.js";

/**
 * Cookie that pins a user to an arm behind the canary Ingress (ingress-nginx
 * `canary-by-cookie`): `always` routes to the canary (challenger), `never` to the stable
 * (champion) Deployment.
 */
export const CANARY_COOKIE = "mlops-canary";

const errors = { 400: ErrorResponseSchema, 401: ErrorResponseSchema, 503: ErrorResponseSchema };

const routes: FastifyPluginAsyncZod = async (app) => {
  const { config, served, metrics, predictionLog } = app;
  const experimentId = config.experimentId;

  // Counter children per (variant, status), bound once: label lookup stays off the hot path.
  const counters = new Map<string, ReturnType<typeof metrics.requests.labels>>();
  const timers = new Map<ServedVariant, ReturnType<typeof metrics.latency.labels>>();
  for (const [variant, model] of Object.entries(served.classifiers) as [
    ServedVariant,
    Classifier,
  ][]) {
    const labels = { variant, model: `${model.name}@${model.version}` };
    for (const status of ["ok", "error"]) {
      counters.set(`${variant}:${status}`, metrics.requests.labels({ ...labels, status }));
    }
    timers.set(variant, metrics.latency.labels(labels));
  }

  /** The arm for this request: fixed in single mode, a stable hash of the user in split mode. */
  const variantFor = (request: FastifyRequest, userId: string | undefined): ServedVariant =>
    config.mode === "single"
      ? config.variant!
      : assignVariant(experimentId, userId ?? request.id, config.challengerWeight);

  const stick = (reply: FastifyReply, variant: ServedVariant) => {
    if (config.mode === "single") {
      reply.header(
        "set-cookie",
        `${CANARY_COOKIE}=${variant === "challenger" ? "always" : "never"}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax`,
      );
    }
  };

  /**
   * Runs the model for the rows `ids` name, counts the request, and queues one record per row.
   * A model failure (not a client's bad row) is counted and logged with status `error`, which
   * the A/B analysis uses as the error-rate guardrail.
   */
  const serve = (
    ids: readonly string[],
    variant: ServedVariant,
    model: Classifier,
    userId: string | undefined,
    run: () => Classification[],
  ): Classification[] => {
    const started = performance.now();
    const account = (answers: Classification[] | null) => {
      const latencyMs = performance.now() - started;
      counters.get(`${variant}:${answers ? "ok" : "error"}`)!.inc();
      timers.get(variant)!.observe(latencyMs / 1000);
      const timestamp = Date.now();
      for (const [i, id] of ids.entries()) {
        const answer = answers?.[i];
        predictionLog.enqueue({
          request_id: id,
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
    async (request, reply) => {
      const { features, user_id } = request.body;
      const variant = variantFor(request, user_id);
      const model = served.classifier(variant);
      const [answer] = serve([request.id], variant, model, user_id, () => [
        model.classify(features),
      ]);
      stick(reply, variant);
      return {
        request_id: request.id,
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
    async (request, reply) => {
      const { rows, user_id } = request.body;
      const variant = variantFor(request, user_id);
      const model = served.classifier(variant);
      const ids = rows.map((_, i) => `${request.id}.${i}`);
      const answers = serve(ids, variant, model, user_id, () => model.classifyBatch(rows));
      stick(reply, variant);
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
