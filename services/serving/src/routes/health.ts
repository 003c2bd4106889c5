/**
 * Probes: `/health/live` (the process answers), `/health/ready` (traffic may come: the models are
 * loaded, which they are once the process listens, and it is not shedding load), `/health` (a
 * summary for people, with the store's state; the GARCH service has its own).
 *
 * Readiness does not ask the store. Every replica shares it, so a store that stops answering for
 * longer than the probe's failure threshold would take all of them out of the Service at once,
 * turning a store incident into an outage of predictions, which do not need it (their log waits in
 * a buffer and retries). `/health` reports it, and the prediction log's alert fires on the
 * writes it fails.
 */
import {
  ErrorResponseSchema,
  HEALTH_PATHS,
  LiveResponseSchema,
  ReadyResponseSchema,
  SERVING_MODES,
  ServedModelSchema,
  ServedVariantSchema,
} from "@mlops/contracts";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { NEVER_SHED } from "../plugins/security.js";

const SummarySchema = z.object({
  status: z.enum(["ok", "degraded"]),
  mode: z.enum(SERVING_MODES),
  variant: ServedVariantSchema.nullable(),
  experiment_id: z.string(),
  models: z.record(z.string(), ServedModelSchema),
  store: z.object({ kind: z.enum(["sqlite", "cosmos"]), ok: z.boolean() }),
  uptime_s: z.number(),
});

const routes: FastifyPluginAsyncZod = async (app) => {
  const { config, served, store, garch } = app;
  const startedAt = Date.now();
  const storeOk = () =>
    store.ping().then(
      () => true,
      (err: unknown) => {
        app.log.warn({ err }, "store ping failed");
        return false;
      },
    );
  /**
   * The classifiers loaded at start, and the GARCH fit a forecast without a model gets now (its
   * alias may have moved since); left out when it cannot be resolved (the store is down, or the
   * reference names no version any more), which `garchOk` false reports.
   */
  const models = async () => {
    const out: Record<string, { name: string; version: number }> = {};
    for (const [variant, m] of Object.entries(served.classifiers)) {
      out[variant] = { name: m.name, version: m.version };
    }
    const current = await garch.current().catch((err: unknown) => {
      app.log.warn({ err }, "the default GARCH model did not resolve");
      return null;
    });
    if (current) out.garch = { name: current.name, version: current.version };
    return { models: out, garchOk: garch.defaultRef === null || current !== null };
  };

  app.get(
    HEALTH_PATHS.live,
    {
      schema: { summary: "Liveness", response: { 200: LiveResponseSchema } },
      config: NEVER_SHED,
    },
    async () => ({ status: "live" as const }),
  );

  app.get(
    HEALTH_PATHS.ready,
    {
      schema: {
        summary: "Readiness: models loaded and not shedding load (the store is not asked)",
        response: { 200: ReadyResponseSchema, 503: ErrorResponseSchema },
      },
    },
    async () => ({ status: "ready" as const }),
  );

  // The GARCH service answers `/health` in its own contract (routes/garch-service.ts).
  if (config.mode === "garch") return;
  app.get(
    "/health",
    {
      schema: {
        summary: "Status, variant, model versions, uptime",
        response: { 200: SummarySchema },
      },
    },
    async () => {
      const [ok, servedModels] = await Promise.all([storeOk(), models()]);
      return {
        // A GARCH default that resolves to nothing fails every forecast that names no model.
        status: ok && servedModels.garchOk ? ("ok" as const) : ("degraded" as const),
        mode: config.mode,
        variant: config.variant,
        experiment_id: config.experimentId,
        models: servedModels.models,
        // The kind only: the store's name holds a file path or an account endpoint.
        store: { kind: config.store.kind, ok },
        uptime_s: (Date.now() - startedAt) / 1000,
      };
    },
  );
};

export default routes;
