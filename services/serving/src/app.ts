/**
 * The prediction API as a Fastify instance that does not listen: `server.ts` listens, tests
 * `inject`. Registration order is fixed and explicit — protection first (headers, rate limit,
 * load shedding), then the app's services (metrics, prediction log, docs), then the routes —
 * rather than autoloaded, so the same order holds under tsx, vitest and the compiled image.
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { API_KEY_HEADER, ClientRequestIdSchema, type ServingConfig } from "@mlops/contracts";
import type { Store } from "@mlops/store";
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { ZodType } from "zod";
import { AllowedMethods } from "./allowed-methods.js";
import { Cached } from "./cache.js";
import { clientErrorHandler } from "./client-error.js";
import dashboardRoutes from "./dashboard-api/plugin.js";
import { authHook } from "./edge/auth.js";
import {
  BODY_LIMIT_BYTES,
  errorHandler,
  MAX_PATH_PARAM_LENGTH,
  methodNotAllowedBody,
  notFoundBody,
  validationError,
} from "./errors.js";
import garchService from "./garch/plugin.js";
import { parseJsonBody } from "./json-body.js";
import { createMetrics, recentAccuracy, type ServingMetrics } from "./metrics.js";
import type { ServedModels } from "./models/served.js";
import edge from "./plugins/edge.js";
import modelLoads from "./plugins/model-loads.js";
import predictionLog from "./plugins/prediction-log.js";
import security, {
  API_SECURITY_HEADERS,
  DEFAULT_MAX_EVENT_LOOP_DELAY_MS,
  DOCUMENT_HEADERS,
} from "./plugins/security.js";
import type { RateLimitStoreCtor } from "./rate-windows.js";
import { uuidv7 } from "./request-id.js";
import { lazyChildLogger, levelEnabled } from "./request-logger.js";
import experimentRoutes from "./routes/experiment.js";
import garchRoutes from "./routes/garch.js";
import * as garchServiceRoutes from "./routes/garch-service.js";
import healthRoutes from "./routes/health.js";
import metricsRoutes from "./routes/metrics.js";
import modelRoutes from "./routes/models.js";
import predictRoutes from "./routes/predict.js";

declare module "fastify" {
  interface FastifyInstance {
    config: ServingConfig;
    store: Store;
    served: ServedModels;
    metrics: ServingMetrics;
  }
}

/** What the app runs with; everything is created by the caller and closed by it. */
export interface AppDeps {
  readonly config: ServingConfig;
  readonly store: Store;
  readonly served: ServedModels;
  /** Pino options, or false for silence; default: JSON at `config.logLevel`. */
  readonly logger?: FastifyServerOptions["logger"];
  /** Event-loop delay (ms) above which requests are shed with 503. */
  readonly maxEventLoopDelayMs?: number;
  /** How often the event loop is sampled (ms). */
  readonly pressureSampleMs?: number;
  /** Longest the prediction log's final flush may take on close (ms). */
  readonly logFlushDeadlineMs?: number;
  /** Where per-client rate-limit counts live; default: this process (see cluster.ts). */
  readonly rateLimitStore?: RateLimitStoreCtor;
}

/** How often the accuracy gauge (an hour's window) is read from the store. */
const ACCURACY_TTL_MS = 15_000;
/** How old a reading the gauge still reports while the store does not answer. */
const ACCURACY_MAX_AGE_MS = 120_000;

/**
 * The request's correlation id (Fastify's `request.id`, in its log lines and the `x-request-id`
 * answer header): a client's `x-request-id` when it is a valid one, else a new time-ordered UUID
 * (request-id.ts), which then also serves as the prediction's id. A client's id never keys a
 * prediction: the routes make one (`predictionId`).
 */
function requestId(header: string | string[] | undefined): string {
  return typeof header === "string" && ClientRequestIdSchema.safeParse(header).success
    ? header
    : uuidv7();
}

/** Builds the API; call `ready()` (or `listen`) next. */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store, served } = deps;
  const app = Fastify({
    logger: deps.logger ?? { level: config.logLevel },
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: false,
    // Behind the edge's proxies the peer is the proxy: a trusted one's X-Forwarded-For names the
    // client (request.ip), whom the rate limit counts. Untrusted, the header is not read.
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    genReqId: (req) => requestId(req.headers["x-request-id"]),
    // In-flight requests finish on close; new ones get 503 while the server drains.
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // A path the router refuses answers like any other error: its shape, id and headers (no
    // hook runs for it).
    frameworkErrors: (error, request, reply) => {
      reply.headers(API_SECURITY_HEADERS).header("x-request-id", request.id);
      return errorHandler(error, request, reply);
    },
    // One line per request (below) instead of Fastify's two: half the logging on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    // Bytes node:http cannot parse as a request answer in the API's error shape too.
    clientErrorHandler,
    childLoggerFactory: lazyChildLogger,
  }).withTypeProvider<ZodTypeProvider>();

  // Bodies are checked with the contracts' zod schemas; a failure lists each field and rule.
  app.setValidatorCompiler<ZodType>(({ schema, method, url, httpPart }) => (data) => {
    const result = schema.safeParse(data);
    return result.success
      ? { value: result.data }
      : { error: validationError(`${method} ${url} ${httpPart}`, result.error) };
  });
  app.setSerializerCompiler(serializerCompiler);
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parseJsonBody);
  // Bodies are JSON: a text/plain one would reach validation as a string and fail there.
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler(errorHandler);
  // A path served with other methods answers 405 naming them (OPTIONS: 204 with them), else 404.
  const allowed = new AllowedMethods();
  app.addHook("onRoute", allowed.record);
  app.setNotFoundHandler((request, reply) => {
    const methods = allowed.of(request.url.split("?")[0]!);
    if (methods.length === 0) return reply.code(404).send(notFoundBody(request));
    reply.header("allow", methods.join(", "));
    if (request.method === "OPTIONS") return reply.code(204).send();
    return reply.code(405).send(methodNotAllowedBody(request, methods));
  });
  // Only where the line is written: below `info` the hook would run for every answer for nothing.
  if (levelEnabled(app.log, "info")) {
    app.addHook("onResponse", (request, reply, done) => {
      request.log.info(
        {
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: reply.elapsedTime,
        },
        "served",
      );
      done();
    });
  }
  // Set on arrival so every answer carries it, errors and shed requests included.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });

  app.decorate("config", config);
  app.decorate("store", store);
  app.decorate("served", served);

  await app.register(edge, { config });
  await app.register(security, {
    config,
    maxEventLoopDelayMs: deps.maxEventLoopDelayMs ?? DEFAULT_MAX_EVENT_LOOP_DELAY_MS,
    pressureSampleMs: deps.pressureSampleMs ?? 500,
    rateLimitStore: deps.rateLimitStore,
  });
  await app.register(predictionLog, {
    config,
    store,
    closeDeadlineMs: deps.logFlushDeadlineMs ?? 10_000,
  });
  // The gauge's hour of outcomes is a scan of the log: once per ACCURACY_TTL_MS, not per scrape,
  // and never waited for by one.
  const accuracy = new Cached(ACCURACY_TTL_MS, () =>
    recentAccuracy(store, config.experimentId, Date.now()),
  );
  app.decorate(
    "metrics",
    createMetrics(
      () => app.predictionLog.stats,
      () => accuracy.latest(ACCURACY_MAX_AGE_MS) ?? [],
    ),
  );
  await app.register(modelLoads);
  await app.register(garchService);
  await app.register(swagger, {
    openapi: {
      info: {
        title: "mlops-platform prediction API",
        description: "Predictions, GARCH forecasts, feedback and A/B statistics.",
        version: "1",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "apiKey", in: "header", name: API_KEY_HEADER },
          entra: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  // The UI's assets are served from this origin (no CDN), under a CSP that allows only them.
  // An HTML document: helmet's policies too (its content policy replaced by the UI's own).
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    staticCSP: true,
    uiHooks: {
      onRequest: (_request, reply, done) => {
        reply.headers(DOCUMENT_HEADERS);
        done();
      },
    },
  });

  // The GARCH service (MLOPS_MODE=garch) answers its own contract and the /garch/* routes only.
  const garchMode = config.mode === "garch";
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  if (garchMode) await app.register(garchServiceRoutes.healthRoutes);
  await app.register(async (scope) => {
    // Predictions, feedback and GARCH are what a credential protects; probes, docs and metrics
    // are not (the public route does not publish the latter, see PUBLIC_PATH_PREFIXES).
    const guard = authHook(config.edge.auth, app.edgeSecrets);
    if (guard !== null) scope.addHook("onRequest", guard);
    if (garchMode) {
      await scope.register(garchServiceRoutes.predictRoutes);
    } else {
      await scope.register(predictRoutes);
      await scope.register(experimentRoutes);
    }
    await scope.register(garchRoutes);
  });
  await app.register(modelRoutes);
  if (!garchMode) await app.register(dashboardRoutes);
  return app;
}
