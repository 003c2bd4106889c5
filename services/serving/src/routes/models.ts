/** `GET /models` (served and registered) and `GET /models/:name` (versions and aliases). */
import {
  ErrorResponseSchema,
  ModelDetailResponseSchema,
  ModelsResponseSchema,
  NameSchema,
} from "@mlops/contracts";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ServingError } from "../errors.js";

const routes: FastifyPluginAsyncZod = async (app) => {
  const { served, store, garch } = app;

  app.get(
    "/models",
    {
      schema: {
        summary: "What this process serves and what the registry holds",
        response: { 200: ModelsResponseSchema },
      },
    },
    async () => {
      const servedList = Object.entries(served.classifiers).map(([variant, m]) => ({
        variant: variant as "champion" | "challenger",
        name: m.name,
        version: m.version,
        kind: "classifier" as const,
        algorithm: m.algorithm,
      }));
      // The version a forecast without a model gets now: the alias may have moved since start.
      const current = await garch.current();
      const servedGarch = current
        ? [
            {
              variant: "garch" as const,
              name: current.name,
              version: current.version,
              kind: "garch" as const,
              algorithm: null,
            },
          ]
        : [];
      const registered = (await store.models.summaries()).map((s) => ({
        name: s.name,
        kind: s.kind,
        latest_version: s.latest_version,
        ready_version: s.ready_version,
        aliases: { ...s.aliases },
      }));
      return { served: [...servedList, ...servedGarch], registered };
    },
  );

  app.get(
    "/models/:name",
    {
      schema: {
        summary: "Every version of a model, newest first, and its aliases",
        params: z.object({ name: NameSchema }),
        response: {
          200: ModelDetailResponseSchema,
          400: ErrorResponseSchema,
          404: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      const [versions, aliases] = await Promise.all([
        store.models.list(name),
        store.models.aliases(name),
      ]);
      if (versions.length === 0)
        throw new ServingError("MODEL_NOT_FOUND", `no model named ${name}`);
      return { name, versions, aliases };
    },
  );
};

export default routes;
