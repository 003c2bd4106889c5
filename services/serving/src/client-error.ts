/**
 * Requests node:http cannot parse: a bad header name, Content-Length beside chunked encoding, an
 * unknown method, headers past the size limit. They never reach a route, a hook or the error
 * handler, and Fastify's default answers every one with `{"error":"Bad Request","message":"Client
 * Error"}`. This answers them as the API answers anything else: an `ErrorResponse`, here with
 * the parser's reason (it names the part of the request that broke the grammar), the API's
 * security headers and a request id that the log line carries too. The connection is then
 * closed: past bytes it could not parse, the parser cannot tell where the next request starts.
 */
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorResponse } from "@mlops/contracts";
import type { FastifyInstance } from "fastify";
import { API_SECURITY_HEADERS } from "./plugins/security.js";
import { uuidv7 } from "./request-id.js";

/** What node:http passes to `clientError`: llhttp's code and reason (HPE_*), or its own. */
export interface HttpClientError extends Error {
  readonly code?: string;
  readonly reason?: string;
}

/** The status, code and message for `error`, or null when the client is gone. */
export function clientErrorAnswer(
  error: HttpClientError,
): { status: number; body: Omit<ErrorResponse, "request_id"> } | null {
  switch (error.code) {
    case "ECONNRESET":
      return null;
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        body: { error: "REQUEST_TIMEOUT", message: "the request did not arrive whole in time" },
      };
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        body: {
          error: "HEADERS_TOO_LARGE",
          message: `headers: the request line and headers must fit in ${maxHeaderSize} bytes`,
        },
      };
    default:
      // llhttp's reason names the part and what is wrong with it ("Invalid header value char",
      // "Content-Length can't be present with Transfer-Encoding", "Invalid character in chunk
      // size"), its code the failure.
      return {
        status: 400,
        body: {
          error: "INVALID_HTTP",
          message: `the request is not valid HTTP/1.1: ${error.reason ?? error.message}${error.code ? ` (${error.code})` : ""}`,
        },
      };
  }
}

/** The response, written raw: there is no request object to reply through. */
function rawResponse(status: number, body: string, id: string): string {
  const headers = {
    ...API_SECURITY_HEADERS,
    "x-request-id": id,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** Fastify's `clientErrorHandler` (called with the instance as `this`). */
export function clientErrorHandler(
  this: FastifyInstance,
  error: HttpClientError,
  socket: Duplex,
): void {
  const answer = socket.destroyed ? null : clientErrorAnswer(error);
  if (answer === null) return;
  const id = uuidv7();
  this.log.info({ reqId: id, code: error.code, status: answer.status }, "request not parsed");
  // As node:http and Fastify do: one small write (it leaves at once), then the socket is closed.
  if (socket.writable) {
    socket.write(
      rawResponse(answer.status, JSON.stringify({ ...answer.body, request_id: id }), id),
    );
  }
  socket.destroy();
}
