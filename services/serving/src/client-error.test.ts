/**
 * Bytes that are not an HTTP request, sent over a real socket to a listening app: each gets the
 * API's ErrorResponse naming what is wrong, with its security headers and a request id, the
 * connection is closed, and the server goes on answering.
 */
import { connect } from "node:net";
import { ErrorResponseSchema } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { build, ROW, useFixture } from "../test-support/index.js";
import { clientErrorAnswer, type HttpClientError } from "./client-error.js";
import { API_SECURITY_HEADERS } from "./plugins/security.js";

const fixture = useFixture();

/** Writes `raw` to the server at `port` and reads until it closes the connection. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(raw);
  });
}

/** The status, headers and parsed body of one raw response. */
function parse(raw: string) {
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = Object.fromEntries(
    lines.map((line) => {
      const at = line.indexOf(":");
      return [line.slice(0, at).toLowerCase(), line.slice(at + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(" ")[1]), headers, body: JSON.parse(body) };
}

const BAD: readonly [string, string, number, string, RegExp][] = [
  [
    "a header name with a space",
    "POST /predict HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
    400,
    "INVALID_HTTP",
    /: Invalid header token \(HPE_INVALID_HEADER_TOKEN\)$/,
  ],
  [
    "content-length beside chunked",
    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    400,
    "INVALID_HTTP",
    /Transfer-Encoding can't be present with Content-Length/,
  ],
  [
    "an unknown method",
    "FOO /predict HTTP/1.1\r\nHost: x\r\n\r\n",
    400,
    "INVALID_HTTP",
    /Invalid method/,
  ],
  [
    "a content-length that is not a number",
    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
    400,
    "INVALID_HTTP",
    /Invalid character in Content-Length/,
  ],
  [
    "a chunk size that is not hexadecimal",
    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    400,
    "INVALID_HTTP",
    /Invalid character in chunk size/,
  ],
  [
    "headers past the size limit",
    `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    431,
    "HEADERS_TOO_LARGE",
    /headers: the request line and headers must fit in \d+ bytes/,
  ],
];

describe("a request node:http cannot parse", () => {
  it.each(BAD)(
    "%s gets the API's error shape, its headers and a closed connection",
    async (_, raw, status, code, message) => {
      const app = await build(fixture);
      await app.listen({ port: 0, host: "127.0.0.1" });
      const { port } = app.server.address() as { port: number };
      const answer = parse(await exchange(port, raw));
      expect(answer.status).toBe(status);
      const body = ErrorResponseSchema.parse(answer.body);
      expect(body.error).toBe(code);
      expect(body.message).toMatch(message);
      expect(answer.headers["x-request-id"]).toBe(body.request_id);
      expect(answer.headers).toMatchObject(API_SECURITY_HEADERS);
      expect(answer.headers.connection).toBe("close");
      expect(Number(answer.headers["content-length"])).toBe(
        Buffer.byteLength(JSON.stringify(body)),
      );
      // The server is unharmed.
      const ok = await fetch(`http://127.0.0.1:${port}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: ROW }),
      });
      expect(ok.status).toBe(200);
    },
  );

  it("answers nothing to a client that is gone, and times out with 408", () => {
    const error = (code: string): HttpClientError => Object.assign(new Error(code), { code });
    expect(clientErrorAnswer(error("ECONNRESET"))).toBeNull();
    expect(clientErrorAnswer(error("ERR_HTTP_REQUEST_TIMEOUT"))).toMatchObject({
      status: 408,
      body: { error: "REQUEST_TIMEOUT" },
    });
    // A parser failure names llhttp's reason and code.
    const other = Object.assign(new Error("Parse Error"), { code: "HPE_X", reason: "Odd bytes" });
    expect(clientErrorAnswer(other)?.body.message).toBe(
      "the request is not valid HTTP/1.1: Odd bytes (HPE_X)",
    );
  });
});
