/** `POST /feedback` (ground truth for an earlier prediction) and `GET /ab-test/stats`. */
import {
  AbStatsResponseSchema,
  ErrorResponseSchema,
  FeedbackRequestSchema,
  FeedbackResponseSchema,
} from "@mlops/contracts";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { currentAnalysis } from "../analysis.js";

const routes: FastifyPluginAsyncZod = async (app) => {
  const { config, store } = app;

  app.post(
    "/feedback",
    {
      schema: {
        summary: "Record the outcome of an earlier prediction (the first outcome per request wins)",
        body: FeedbackRequestSchema,
        response: {
          202: FeedbackResponseSchema,
          400: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { request_id, outcome } = request.body;
      // Not checked against the prediction log: the prediction may still sit in the log buffer.
      // The analysis joins on request id, so an outcome without a prediction counts nowhere.
      const { inserted } = await store.outcomes.insertMany([
        { request_id, outcome, timestamp: Date.now() },
      ]);
      return reply.code(202).send({ request_id, duplicate: inserted === 0 });
    },
  );

  app.get(
    "/ab-test/stats",
    {
      schema: {
        summary: "Per-variant counts, outcome metrics and the current analysis (all replicas)",
        response: { 200: AbStatsResponseSchema, 503: ErrorResponseSchema },
      },
    },
    async () => {
      const experimentId = config.experimentId;
      const [variants, decisions] = await Promise.all([
        store.predictions.aggregate({
          experiment_id: experimentId,
          variants: ["champion", "challenger"],
        }),
        store.experiments.decisions(experimentId),
      ]);
      const [champion, challenger] = variants;
      return {
        experiment_id: experimentId,
        generated_at: Date.now(),
        weights: { champion: 100 - config.challengerWeight, challenger: config.challengerWeight },
        variants,
        analysis: currentAnalysis(
          champion,
          challenger,
          config.challengerWeight,
          decisions.at(-1) ?? null,
        ),
      };
    },
  );
};

export default routes;
