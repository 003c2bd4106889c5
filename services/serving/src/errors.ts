/**
 * The API's error catalogue and its one error handler. Every error body is an
 * `ErrorResponse` (`@mlops/contracts`): 4xx name the field and the rule; 5xx say only what
 * kind of failure happened, never its internals (those go to the log with the request id).
 */
import {
  ContractValidationError,
  type ErrorResponse,
  listedIssues,
  MAX_TEXT,
  truncateText,
  type ValidationIssue,
  zodIssues,
} from "@mlops/contracts";
import { StoreNotFoundError, StoreUnavailableError } from "@mlops/store";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ZodError } from "zod";

/** What a domain error is: its status, what it means, and when to retry (seconds), if at all. */
interface ServingErrorEntry {
  readonly status: number;
  readonly summary: string;
  readonly retryAfterS?: number;
}

/**
 * Domain errors, by code: the status each maps to and what it means; a passing condition also
 * says when to retry (`retry-after`, seconds), as the load shedder's 503 does.
 */
export const SERVING_ERRORS = {
  VALIDATION_FAILED: { status: 400, summary: "the request broke a schema rule" },
  FEATURE_COUNT_MISMATCH: { status: 400, summary: "a feature row has the wrong length" },
  UNAUTHORIZED: { status: 401, summary: "a credential is required and was missing or not valid" },
  FORBIDDEN: { status: 403, summary: "the credential is valid but lacks the app role" },
  CANARY_OVERRIDE_FORBIDDEN: {
    status: 403,
    summary: "the canary override needs a valid x-canary-token",
  },
  MODEL_NOT_FOUND: { status: 404, summary: "no registered model matches the reference" },
  // Its `retry-after` is the client's own window's remainder, set by the rate limiter.
  RATE_LIMITED: {
    status: 429,
    summary: "the client sent more requests this minute than MLOPS_RATE_LIMIT_PER_MINUTE allows",
  },
  GARCH_FIT_FAILED: { status: 422, summary: "the posted series cannot be fitted" },
  GARCH_BUSY: { status: 503, summary: "GARCH fits are queued to capacity", retryAfterS: 5 },
  GARCH_TIMEOUT: {
    status: 503,
    summary: "the GARCH fit did not finish within the server's deadline",
    retryAfterS: 5,
  },
  STORE_UNAVAILABLE: { status: 503, summary: "the store did not answer", retryAfterS: 1 },
  AUTH_UNAVAILABLE: {
    status: 503,
    summary: "credentials cannot be checked right now",
    retryAfterS: 1,
  },
  NOT_READY: { status: 503, summary: "the configured models are not loaded", retryAfterS: 1 },
  DASHBOARD_NOT_BUILT: {
    status: 503,
    summary: "the dashboard's assets are not built (pnpm build)",
  },
} as const satisfies Record<string, ServingErrorEntry>;
export type ServingErrorCode = keyof typeof SERVING_ERRORS;

/** What else a ServingError can carry. */
export interface ServingErrorOptions extends ErrorOptions {
  /** `WWW-Authenticate` challenge of a 401 or 403. */
  readonly challenge?: string;
}

/** An expected failure with a safe, client-facing message. */
export class ServingError extends Error {
  override readonly name = "ServingError";
  readonly statusCode: number;
  readonly challenge: string | undefined;
  constructor(
    readonly code: ServingErrorCode,
    message: string,
    readonly issues?: readonly ValidationIssue[],
    options?: ServingErrorOptions,
  ) {
    super(message, options);
    this.statusCode = SERVING_ERRORS[code].status;
    this.challenge = options?.challenge;
  }
}

/** The answer to a path no route serves here (or that is not served to this caller). */
export function notFoundBody(request: FastifyRequest): ErrorResponse {
  const path = request.url.split("?")[0]!;
  return {
    error: "NOT_FOUND",
    message: truncateText(`no route ${request.method} ${path}`, MAX_TEXT),
    request_id: request.id,
  };
}

/** The answer to a method a path is not served with; `allowed` are those it is (`Allow`). */
export function methodNotAllowedBody(
  request: FastifyRequest,
  allowed: readonly string[],
): ErrorResponse {
  const path = request.url.split("?")[0]!;
  return {
    error: "METHOD_NOT_ALLOWED",
    message: truncateText(
      `${request.method} is not served at ${path}: it takes ${allowed.join(", ")}`,
      MAX_TEXT,
    ),
    request_id: request.id,
  };
}

/**
 * A client error under one of Fastify's own codes (`FST_ERR_*`), or a code of ours, with a
 * message of ours: what the JSON body parser (json-body.ts) refuses, worded to name the part of
 * the request and the rule.
 */
export function fastifyClientError(
  code: string,
  statusCode: number,
  message: string,
): FastifyError {
  return Object.assign(new Error(message), { code, statusCode });
}

/** Largest request body (Fastify's `bodyLimit`): a batch at the row ceiling is ~1 MB of JSON. */
export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Longest path parameter the router accepts (Fastify's `maxParamLength`). */
export const MAX_PATH_PARAM_LENGTH = 100;

/** A path the router refuses: its parameter and the rule, without quoting the path whole. */
const pathRule = (rule: string) => (request: FastifyRequest) =>
  `a parameter of the path ${truncateText(request.url, 120)} ${rule}`;

/**
 * The rule each of Fastify's own refusals stands for, where its message names none ("Unsupported
 * Media Type", "Request body is too large") or quotes the request whole (the router's, for a
 * path however long). The codes and statuses stay Fastify's.
 */
const FASTIFY_RULES: Readonly<Record<string, (request: FastifyRequest) => string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (request) => {
    const type = request.headers["content-type"];
    const sent = type === undefined ? "is missing" : `${truncateText(type, 80)} is not accepted`;
    return `content-type ${sent}: send the body as application/json`;
  },
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    `body is larger than ${BODY_LIMIT_BYTES} bytes (${BODY_LIMIT_BYTES / 2 ** 20} MiB), the largest request accepted`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    "body: its length does not match the content-length header",
  FST_ERR_BAD_URL: pathRule("is not valid percent-encoding"),
  FST_ERR_MAX_PARAM_LENGTH: pathRule(`is longer than ${MAX_PATH_PARAM_LENGTH} characters`),
};

/** What a request body/query/params failure turns into (fastify's validator compiler result). */
export function validationError(subject: string, error: ZodError): ContractValidationError {
  return new ContractValidationError(subject, zodIssues(error));
}

/**
 * The issues a reply lists (`listedIssues`: the first few, each cut short) and how many there
 * were: a body of 300 bad numbers breaks 300 rules, and the reply's schema caps the list.
 */
function issuesOf(issues: readonly ValidationIssue[]) {
  return { issues: listedIssues(issues), issue_count: issues.length };
}

/** Fastify's own client errors (bad JSON, too large, wrong content type…) keep their code. */
function isClientError(error: FastifyError): boolean {
  const status = error.statusCode ?? 500;
  return status >= 400 && status < 500;
}

/**
 * The single error handler. Logs 5xx with the request context, answers with an `ErrorResponse`
 * and never echoes a 5xx's message.
 */
export function errorHandler(
  error: FastifyError | ServingError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  let status: number;
  let body: ErrorResponse;
  // Store failures become domain errors: a missing record is the client's 404, an outage a 503.
  if (error instanceof StoreNotFoundError) {
    // Its message names the store (a file path or an account): keep that for the log.
    request.log.info({ err: error }, "not found in store");
    error = new ServingError("MODEL_NOT_FOUND", SERVING_ERRORS.MODEL_NOT_FOUND.summary, undefined, {
      cause: error,
    });
  } else if (error instanceof StoreUnavailableError) {
    request.log.error({ err: error }, "store unavailable");
    error = new ServingError("STORE_UNAVAILABLE", "store unavailable", undefined, { cause: error });
  }
  if (error instanceof ContractValidationError) {
    status = 400;
    body = {
      error: "VALIDATION_FAILED",
      message: truncateText(error.message, MAX_TEXT),
      request_id: request.id,
      ...issuesOf(error.issues),
    };
  } else if (error instanceof ServingError) {
    status = error.statusCode;
    body = {
      error: error.code,
      message:
        status < 500 ? truncateText(error.message, MAX_TEXT) : SERVING_ERRORS[error.code].summary,
      request_id: request.id,
      ...(error.issues ? issuesOf(error.issues) : {}),
    };
  } else if (isClientError(error)) {
    status = error.statusCode!;
    // Fastify's own messages quote the request (a content type, a header): keep them bounded.
    const rule = FASTIFY_RULES[error.code];
    body = {
      error: truncateText(error.code ?? "BAD_REQUEST", 64),
      message: truncateText(rule === undefined ? error.message : rule(request), MAX_TEXT),
      request_id: request.id,
    };
  } else {
    status = error.statusCode && error.statusCode >= 500 ? error.statusCode : 500;
    body = { error: "INTERNAL", message: "internal server error", request_id: request.id };
  }
  if (status >= 500) {
    request.log.error({ err: error, req: { method: request.method, url: request.url } }, "failed");
  } else {
    request.log.info({ status, code: body.error }, "rejected");
  }
  if (error instanceof ServingError) {
    if (error.challenge !== undefined) reply.header("www-authenticate", error.challenge);
    const entry: ServingErrorEntry = SERVING_ERRORS[error.code];
    if (entry.retryAfterS !== undefined) reply.header("retry-after", String(entry.retryAfterS));
  }
  return reply.code(status).send(body);
}
