/**
 * Cross-cutting protection, registered before any route: the API's security headers, per-client
 * rate limiting and load shedding when the event loop saturates. Who may call which route is
 * `plugins/edge.ts` and `edge/auth.ts`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import rateLimit from "@fastify/rate-limit";
import underPressure from "@fastify/under-pressure";
import type { ErrorResponse, ServingConfig } from "@mlops/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import helmet from "helmet";
import { ServingError } from "../errors.js";
import type { RateLimitStoreCtor } from "../rate-windows.js";

/** When the event loop lags this long the server sheds load (503) rather than queue it. */
export const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 1000;

/** under-pressure's answer to a request it sheds: `type` is what is over its limit. */
type PressureHandler = (request: FastifyRequest, reply: FastifyReply, type: string) => void;

declare module "fastify" {
  interface FastifyContextConfig {
    /** A route's own answer under load (under-pressure reads it); one that returns serves it. */
    pressureHandler?: PressureHandler;
  }
}

/** Why a request was shed, for any answer's message or reason. */
const overloaded = (type: string) => `the server is overloaded (${type}); retry shortly`;

/** Sheds with 503 and `retry-after`, the body made by `body`. */
export function shedWith(body: (request: FastifyRequest, reason: string) => unknown) {
  return ((request, reply, type) => {
    reply
      .code(503)
      .header("retry-after", "1")
      .send(body(request, overloaded(type)));
  }) satisfies PressureHandler;
}

/**
 * Route config for what must answer however loaded the process is: liveness (a loaded process
 * is alive, and a restart would only add to the overload) and the metrics the autoscaler reads
 * (shed, they would hide the very load that should scale the deployment out).
 */
export const NEVER_SHED: { readonly pressureHandler: PressureHandler } = {
  pressureHandler: () => undefined,
};

export interface SecurityOptions {
  readonly config: ServingConfig;
  /** Event-loop delay (ms) above which requests get 503. */
  readonly maxEventLoopDelayMs: number;
  /** How often under-pressure samples the event loop (ms). */
  readonly pressureSampleMs: number;
  /** Where per-client counts live; default: this process. */
  readonly rateLimitStore?: RateLimitStoreCtor;
}

/**
 * The headers every answer carries: OWASP's REST Security Cheat Sheet ("Security Headers": the
 * set for API responses). A prediction, a forecast or a statistic must not be kept by a cache or
 * framed by another site, and the browser must not sniff it into HTML. The document-only headers
 * (a full content policy, referrer, cross-origin and legacy ones) would add some 500 bytes and
 * eight header checks to every prediction for nothing; the HTML pages carry them
 * (`DOCUMENT_HEADERS`).
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "content-security-policy": "frame-ancestors 'none'",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/**
 * helmet's default headers for an HTML document (content policy, HSTS, nosniff, frame, referrer
 * and cross-origin policies…), lower-cased: what the HTML pages (the dashboard's, the docs UI's)
 * set over the API's set. They do not depend on the request, so they are recorded once from
 * helmet's own middleware, where `@fastify/helmet` rebuilds helmet on each request.
 */
export const DOCUMENT_HEADERS: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
})();

export default fp(
  async function security(app: FastifyInstance, opts: SecurityOptions) {
    app.addHook("onRequest", (_request, reply, done) => {
      reply.headers(API_SECURITY_HEADERS);
      done();
    });
    if (opts.config.rateLimitPerMinute > 0) {
      await app.register(rateLimit, {
        max: opts.config.rateLimitPerMinute,
        timeWindow: "1 minute",
        store: opts.rateLimitStore,
        // A count that cannot be had (the cluster primary busy or gone) lets the request through.
        skipOnError: true,
        // Health probes and scrapes come from the platform, not clients; the dashboard is an
        // operator's page inside the cluster that polls its views about 50 times a minute, which
        // must not spend the budget of the client it is opened from.
        allowList: (request) => /^\/(health|metrics|dashboard)(\/|\?|$)/.test(request.url),
        errorResponseBuilder: (_request, { max, after }) =>
          new ServingError(
            "RATE_LIMITED",
            `more than ${max} requests a minute from this client: retry in ${after}`,
          ),
      });
    }
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs,
      sampleInterval: opts.pressureSampleMs,
      retryAfter: 1,
      pressureHandler: shedWith(
        (request, message): ErrorResponse => ({
          error: "OVERLOADED",
          message,
          request_id: request.id,
        }),
      ),
    });
  },
  { name: "security" },
);
