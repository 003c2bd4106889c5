/**
 * `POST /predict` and `POST /predict/batch`: assign a variant, classify with its model, log the
 * prediction asynchronously, count it. This is the hot path: one zod parse of a small body, one
 * pass over the trees, an enqueue; nothing on it waits for the store.
 */
import {
  BatchPredictResponseSchema,
  batchPredictRequestSchema,
  ErrorResponseSchema,
  type PredictionRecord,
  PredictRequestSchema,
  PredictResponseSchema,
  type ServedVariant,
} from "@mlops/contracts";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { assignVariant } from "../assignment.js";
import type { Classification, Classifier } from "../models/classifier.js";

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

  /** Classifies, counts and logs; a model failure is counted and logged as `error`. */
  const serve = <T>(
    variant: ServedVariant,
    run: () => T,
    records: (result: T, latencyMs: number) => PredictionRecord[],
  ): T => {
    const started = performance.now();
    let result: T;
    try {
      result = run();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 400) {
        counters.get(`${variant}:error`)!.inc();
      }
      throw error;
    }
    const latencyMs = performance.now() - started;
    counters.get(`${variant}:ok`)!.inc();
    timers.get(variant)!.observe(latencyMs / 1000);
    for (const record of records(result, latencyMs)) predictionLog.enqueue(record);
    return result;
  };

  const record = (
    requestId: string,
    variant: ServedVariant,
    model: Classifier,
    userId: string | undefined,
    answer: Classification,
    latencyMs: number,
  ): PredictionRecord => ({
    request_id: requestId,
    experiment_id: experimentId,
    variant,
    model_name: model.name,
    model_version: model.version,
    user_id: userId ?? null,
    prediction: answer.prediction,
    probabilities: answer.probabilities,
    latency_ms: latencyMs,
    status: "ok",
    timestamp: Date.now(),
  });

  app.post(
    "/predict",
    {
      schema: {
        summary: "Classify one row of features",
        body: PredictRequestSchema,
        response: { 200: PredictResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { features, user_id } = request.body;
      const variant = variantFor(request, user_id);
      const model = served.classifier(variant);
      const answer = serve(
        variant,
        () => model.classify(features),
        (a, ms) => [record(request.id, variant, model, user_id, a, ms)],
      );
      stick(reply, variant);
      return {
        request_id: request.id,
        prediction: answer.prediction,
        probabilities: answer.probabilities,
        variant,
        model: { name: model.name, version: model.version },
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
    },
    async (request, reply) => {
      const { rows, user_id } = request.body;
      const variant = variantFor(request, user_id);
      const model = served.classifier(variant);
      const ids = rows.map((_, i) => `${request.id}.${i}`);
      const answers = serve(
        variant,
        () => model.classifyBatch(rows),
        (all, ms) =>
          all.map((a, i) => record(ids[i], variant, model, user_id, a, ms / rows.length)),
      );
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
