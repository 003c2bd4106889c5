/**
 * The API's error catalogue and its one error handler. Every error body is an
 * `ErrorResponse` (`@mlops/contracts`): 4xx name the field and the rule; 5xx say only what
 * kind of failure happened, never its internals (those go to the log with the request id).
 */
import {
  ContractValidationError,
  type ErrorResponse,
  type ValidationIssue,
  zodIssues,
} from "@mlops/contracts";
import { StoreNotFoundError, StoreUnavailableError } from "@mlops/store";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ZodError } from "zod";

/** Domain errors, by code: the status each maps to and what it means. */
export const SERVING_ERRORS = {
  VALIDATION_FAILED: { status: 400, summary: "the request broke a schema rule" },
  FEATURE_COUNT_MISMATCH: { status: 400, summary: "a feature row has the wrong length" },
  UNAUTHORIZED: { status: 401, summary: "an API key is required and was missing or wrong" },
  MODEL_NOT_FOUND: { status: 404, summary: "no registered model matches the reference" },
  GARCH_FIT_FAILED: { status: 422, summary: "the posted series cannot be fitted" },
  STORE_UNAVAILABLE: { status: 503, summary: "the store did not answer" },
  NOT_READY: { status: 503, summary: "the configured models are not loaded" },
  DASHBOARD_NOT_BUILT: {
    status: 503,
    summary: "the dashboard's assets are not built (pnpm build)",
  },
} as const;
export type ServingErrorCode = keyof typeof SERVING_ERRORS;

/** An expected failure with a safe, client-facing message. */
export class ServingError extends Error {
  override readonly name = "ServingError";
  readonly statusCode: number;
  constructor(
    readonly code: ServingErrorCode,
    message: string,
    readonly issues?: readonly ValidationIssue[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.statusCode = SERVING_ERRORS[code].status;
  }
}

/** What a request body/query/params failure turns into (fastify's validator compiler result). */
export function validationError(subject: string, error: ZodError): ContractValidationError {
  return new ContractValidationError(subject, zodIssues(error));
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
      message: error.message,
      request_id: request.id,
      issues: [...error.issues],
    };
  } else if (error instanceof ServingError) {
    status = error.statusCode;
    body = {
      error: error.code,
      message: status < 500 ? error.message : SERVING_ERRORS[error.code].summary,
      request_id: request.id,
      ...(error.issues ? { issues: [...error.issues] } : {}),
    };
  } else if (isClientError(error)) {
    status = error.statusCode!;
    body = { error: error.code ?? "BAD_REQUEST", message: error.message, request_id: request.id };
  } else {
    status = error.statusCode && error.statusCode >= 500 ? error.statusCode : 500;
    body = { error: "INTERNAL", message: "internal server error", request_id: request.id };
  }
  if (status >= 500) {
    request.log.error({ err: error, req: { method: request.method, url: request.url } }, "failed");
  } else {
    request.log.info({ status, code: body.error }, "rejected");
  }
  if (error instanceof ServingError && error.code === "UNAUTHORIZED") {
    reply.header("www-authenticate", 'ApiKey realm="predictions"');
  }
  return reply.code(status).send(body);
}
