/**
 * `/dashboard`: the live dashboard page, its hashed assets and its JSON endpoints
 * (`/dashboard/api/*`, schema-validated, an unknown query parameter refused with a 400 naming it,
 * and listed in the OpenAPI page like every other route).
 *
 * - traffic: in-process metrics sampled every few seconds (never the store), so it stays cheap
 *   under load and keeps answering when the store is down;
 * - experiment, models, GARCH: from the store, the analysis cached for a few seconds however
 *   many pages poll; a store outage is a 503 naming it (the one error handler's STORE_UNAVAILABLE).
 *
 * Read-only and unauthenticated, like `/metrics` and `/docs`: it shows aggregates, never inputs.
 * This folder is the server half; the browser half is `dashboard-ui/` beside `src/`, bundled by
 * `assets.ts`.
 */
import { ErrorResponseSchema, NameSchema } from "@mlops/contracts";
import type { FastifyReply } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Cached } from "../cache.js";
import { machineTraffic } from "../cluster.js";
import { ServingError } from "../errors.js";
import { DOCUMENT_HEADERS } from "../plugins/security.js";
import { type Bundle, DashboardNotBuiltError, dashboardBundle } from "./assets.js";
import { experimentView } from "./experiment-view.js";
import { garchView } from "./garch-view.js";
import { modelsView, readCard } from "./models-view.js";
import {
  CardParamsSchema,
  ExperimentViewSchema,
  GarchViewQuerySchema,
  GarchViewSchema,
  ModelsViewSchema,
  NoQuerySchema,
  TrafficViewSchema,
} from "./schemas.js";
import {
  localTraffic,
  type Snapshot,
  SnapshotRing,
  snapshot,
  trafficView,
} from "./traffic-view.js";

export const DASHBOARD_PATH = "/dashboard";
const ASSETS = `${DASHBOARD_PATH}/assets`;
const API = `${DASHBOARD_PATH}/api`;

/** Seconds between traffic samples, and how far back the charts reach. */
const SAMPLE_MS = 2000;
const WINDOW_MS = 5 * 60_000;
/** How long an analysis (a pass over the experiment's joined records) is reused. */
const EXPERIMENT_TTL_MS = 3000;
const MODELS_TTL_MS = 5000;

const tags = ["dashboard"];
const noStore = (reply: FastifyReply) => reply.header("cache-control", "no-store");

const routes: FastifyPluginAsyncZod = async (app) => {
  const { config, store, served, metrics, predictionLog } = app;

  const ring = new SnapshotRing(WINDOW_MS / SAMPLE_MS + 1);
  // With several serving processes, each shows all of their traffic, as /metrics does.
  const take = async () =>
    snapshot(await machineTraffic(() => localTraffic(metrics, predictionLog.stats)), Date.now());
  const sample = () =>
    take().then(
      (s: Snapshot) => ring.push(s),
      (err: unknown) => app.log.warn({ err }, "dashboard: traffic sample failed"),
    );
  await sample();
  const timer = setInterval(sample, SAMPLE_MS).unref();
  app.addHook("onClose", async () => clearInterval(timer));

  const experiment = new Cached(EXPERIMENT_TTL_MS, () =>
    experimentView(store, config.experimentId, Date.now()),
  );
  const cardUrl = (name: string, version: number) =>
    `${API}/models/${encodeURIComponent(name)}/${version}/card`;
  const models = new Cached(MODELS_TTL_MS, () => modelsView(store, served, cardUrl, Date.now()));
  const page = (): Promise<Bundle> =>
    dashboardBundle(ASSETS).catch((error: unknown) => {
      if (error instanceof DashboardNotBuiltError) {
        throw new ServingError("DASHBOARD_NOT_BUILT", error.message);
      }
      throw error;
    });

  app.get(DASHBOARD_PATH, { schema: { hide: true } }, async (_, reply) => {
    const { html } = await page();
    // Always revalidated: it names the current hashed assets.
    // An HTML document: the browser policies the API's answers do without (security.ts).
    return reply
      .headers(DOCUMENT_HEADERS)
      .header("cache-control", "no-cache")
      .type("text/html; charset=utf-8")
      .send(html);
  });

  app.get(
    `${ASSETS}/:file`,
    { schema: { hide: true, params: z.object({ file: z.string().max(128) }) } },
    async (request, reply) => {
      const asset = (await page()).assets.get(request.params.file);
      if (!asset) {
        return reply.code(404).send({
          error: "NOT_FOUND",
          message: `no dashboard asset ${request.params.file}`,
          request_id: request.id,
        });
      }
      return reply
        .header("cache-control", "public, max-age=31536000, immutable")
        .type(asset.type)
        .send(asset.body);
    },
  );

  app.get(
    `${API}/traffic`,
    {
      schema: {
        tags,
        summary:
          "Prediction rate per variant, latency percentiles, error rate and log queue (last 5 minutes, this process)",
        querystring: NoQuerySchema,
        response: { 200: TrafficViewSchema, 400: ErrorResponseSchema },
      },
    },
    async (_, reply) => {
      noStore(reply);
      return trafficView(ring.list(), await take(), SAMPLE_MS);
    },
  );

  /** A view over the store, its analysis cached: a store outage is a 503 naming it. */
  const storeView = (path: string, summary: string, schema: z.ZodType, view: Cached<unknown>) =>
    app.get(
      `${API}/${path}`,
      {
        schema: {
          tags,
          summary,
          querystring: NoQuerySchema,
          response: { 200: schema, 400: ErrorResponseSchema, 503: ErrorResponseSchema },
        },
      },
      async (_, reply) => {
        noStore(reply);
        return view.get();
      },
    );
  storeView(
    "experiment",
    "The configured A/B experiment: split and SRM, primary metric per arm, cumulative lift, current decision",
    ExperimentViewSchema,
    experiment,
  );
  storeView(
    "models",
    "Served champion and challenger with training metrics, and the registered GARCH models",
    ModelsViewSchema,
    models,
  );

  app.get(
    `${API}/garch/:name`,
    {
      schema: {
        tags,
        summary: "A registered GARCH fit's conditional volatility and its forecast with a band",
        params: z.object({ name: NameSchema }),
        querystring: GarchViewQuerySchema,
        response: {
          200: GarchViewSchema,
          400: ErrorResponseSchema,
          404: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const fit = await served.garchFit(request.params.name);
      return garchView(fit, request.query.history, request.query.horizon);
    },
  );

  app.get(
    `${API}/models/:name/:version/card`,
    {
      schema: {
        tags,
        summary: "A model version's card (Markdown, served as text/plain)",
        params: CardParamsSchema,
        querystring: NoQuerySchema,
        response: {
          // Sent as text/plain, which Fastify passes through unserialised.
          200: z.string().describe("the card's Markdown"),
          400: ErrorResponseSchema,
          404: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { name, version } = request.params;
      const registered = await store.models.get(name, version);
      const card = registered && (await readCard(registered));
      if (!card) {
        throw new ServingError(
          "MODEL_NOT_FOUND",
          registered
            ? `${name} v${version} has no model card (it was registered without one)`
            : `no registered model ${name} v${version}`,
        );
      }
      return reply.type("text/plain; charset=utf-8").send(card);
    },
  );
};

export default routes;
