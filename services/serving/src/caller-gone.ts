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
