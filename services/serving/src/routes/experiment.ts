/** `POST /feedback` (ground truth for an earlier prediction) and `GET /ab-test/stats`. */
import {
  AbStatsResponseSchema,
  CHALLENGER,
  CHAMPION,
  ContractValidationError,
  ErrorResponseSchema,
  FeedbackRequestSchema,
  FeedbackResponseSchema,
  truncateText,
} from "@mlops/contracts";
import { readCurrentPeriod } from "@mlops/experiments";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { currentAnalysis } from "../analysis.js";

/** Neither route reads a query parameter: one sent (`experiment_id=…`) is refused, not ignored. */
const NoQuerySchema = z.strictObject({});

/**
 * What both routes may answer besides their success: a bad request, a missing or refused
 * credential (MLOPS_AUTH), the rate limit, and a store that does not answer or a shed request.
 */
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  429: ErrorResponseSchema,
  503: ErrorResponseSchema,
};

const routes: FastifyPluginAsyncZod = async (app) => {
  const { config, store, served } = app;
  // The labels an outcome may name: the served classifiers' classes (both arms predict the same
  // ones, models/served.ts). Any other label would count as a sure miss (log loss ~34.5).
  const classes = new Set(Object.values(served.classifiers).flatMap((model) => model.classes));
  const classRule = `must be one of the served classifier's classes (${truncateText(
    [...classes].map((c) => JSON.stringify(c)).join(", "),
    200,
  )}), or a number for a numeric outcome`;

  app.post(
    "/feedback",
    {
      schema: {
        summary: "Record the outcome of an earlier prediction (the first outcome per request wins)",
        querystring: NoQuerySchema,
        body: FeedbackRequestSchema,
        response: { 202: FeedbackResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { request_id, outcome } = request.body;
      if (typeof outcome === "string" && !classes.has(outcome)) {
        throw new ContractValidationError("POST /feedback body", [
          { path: "outcome", message: classRule },
        ]);
      }
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
        querystring: NoQuerySchema,
        response: { 200: AbStatsResponseSchema, ...errors },
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
          current.units,
        ),
      };
    },
  );
};

export default routes;
