/** `POST /feedback` (ground truth for an earlier prediction) and `GET /ab-test/stats`. */
import {
  AbStatsResponseSchema,
  CHALLENGER,
  CHAMPION,
  ErrorResponseSchema,
  FeedbackRequestSchema,
  FeedbackResponseSchema,
} from "@mlops/contracts";
import { readCurrentPeriod } from "@mlops/experiments";
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
        summary:
          "Per-variant counts and outcome metrics, the configurations that assigned them, and the current period's analysis (all replicas)",
        response: { 200: AbStatsResponseSchema, 503: ErrorResponseSchema },
      },
    },
    async () => {
      const experimentId = config.experimentId;
      const query = { experiment_id: experimentId, variants: [CHAMPION, CHALLENGER] };
      const weights = {
        [CHAMPION]: 100 - config.challengerWeight,
        [CHALLENGER]: config.challengerWeight,
      };
      const [variants, current, decisions] = await Promise.all([
        store.predictions.aggregate(query),
        // Configurations are not pooled: the analysis reads the current one's period only.
        readCurrentPeriod(store, query, weights),
        store.experiments.decisions(experimentId),
      ]);
      const [champion, challenger] = current.aggregates;
      return {
        experiment_id: experimentId,
        generated_at: Date.now(),
        weights,
        variants,
        assignment: current.assignment,
        analysis: currentAnalysis(
          champion,
          challenger,
          // The weight the current period was assigned with (this process's when unrecorded).
          current.period?.config.challenger_weight ?? config.challengerWeight,
          decisions.at(-1) ?? null,
        ),
      };
    },
  );
};

export default routes;
