/**
 * A signal that aborts when the caller of a request goes away before its answer is sent: its
 * connection closed, the response not finished. Long work done for a request (a GARCH fit) is
 * dropped with it. Fastify's `request.signal` is no such signal: it follows the request stream,
 * which closes as soon as the body has been read.
 */
import type { FastifyReply } from "fastify";

export function callerGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * The work of a request dropped because its caller had gone: the client's doing, not the
 * server's failure. The error handler answers it as the client error it is (nginx's 499, Client
 * Closed Request, which reaches no one) and logs it at info, so a flood of hang-ups neither
 * writes error lines nor counts as 5xx in the error rate.
 */
export class CallerGoneError extends Error {
  override readonly name = "CallerGoneError";
  readonly code = "CLIENT_CLOSED_REQUEST";
  readonly statusCode = 499;
}
