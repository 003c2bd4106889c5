import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { freePort } from "../test-support/free-port.js";
import { BODY_EXCERPT_CHARS, bytesText, fetchJson, MAX_ANSWER_BYTES } from "./fetch-json.js";

const Answer = z.object({ value: z.number() });

/**
 * A loopback server with known answers: `/ok` a valid body, `/created` the same as 201, `/down`
 * 503 with an error object, `/page` 502 with a long HTML page, `/text` a 200 that is not JSON,
 * `/shape` a body that breaks the schema, `/empty` nothing, `/stall` the start of a body and then
 * nothing, `/cut` the start of a body and then a dropped connection, `/endless` a JSON string that
 * never ends, `/plain` valid JSON sent as text, `/problem` JSON as `application/problem+json`,
 * `/hang` no answer at all, and `/echo` the method, content-type, accept and body it got.
 */
let server: Server;
let origin: string;
const page = `<html>${"x".repeat(2 * BODY_EXCERPT_CHARS)}</html>`;
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      switch (req.url) {
        case "/ok":
          return json(200, { value: 1 });
        case "/created":
          return json(201, { value: 2 });
        case "/down":
          return json(503, { error: "down for maintenance" });
        case "/page":
          return res.writeHead(502, { "content-type": "text/html" }).end(page);
        case "/text":
          return res.writeHead(200, { "content-type": "text/html" }).end("<html>gateway</html>");
        case "/shape":
          return json(200, { value: "one" });
        case "/empty":
          return res.writeHead(200).end();
        case "/stall":
          return res.writeHead(200, { "content-type": "application/json" }).write('{"value":');
        case "/cut":
          res.writeHead(200, { "content-type": "application/json" }).write('{"value":');
          return setTimeout(() => res.destroy(), 20);
        case "/endless": {
          res.writeHead(200, { "content-type": "application/json" }).write('"');
          const chunk = "x".repeat(64 * 1024);
          // As fast as the client reads, until it hangs up.
          const pump = () => {
            while (!res.destroyed && res.write(chunk));
          };
          res.on("drain", pump);
          return pump();
        }
        case "/plain":
          return res.writeHead(200, { "content-type": "text/plain" }).end('{"value":3}');
        case "/problem":
          return res
            .writeHead(200, { "content-type": "application/problem+json; charset=utf-8" })
            .end('{"value":4}');
        case "/echo":
          return json(200, {
            value: chunks.reduce((n, c) => n + c.length, 0),
            method: req.method,
            type: req.headers["content-type"] ?? null,
            accept: req.headers.accept ?? null,
            body: Buffer.concat(chunks).toString(),
          });
        default:
          return undefined; // `/hang`: never answered.
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((done) => server.close(done));
});

const call = (path: string, more: Partial<Parameters<typeof fetchJson>[0]> = {}) =>
  fetchJson({ url: `${origin}${path}`, schema: Answer, timeoutMs: 2000, ...more });

describe("fetchJson", () => {
  it("returns a valid answer read by the schema, with its status", async () => {
    expect(await call("/ok")).toEqual({ ok: true, status: 200, data: { value: 1 } });
    expect(await call("/created")).toEqual({ ok: true, status: 201, data: { value: 2 } });
  });

  it("sends a body as JSON by POST, bytes as they are, and the caller's headers last", async () => {
    const Echo = Answer.extend({
      method: z.string(),
      type: z.string().nullable(),
      accept: z.string().nullable(),
      body: z.string(),
    });
    expect(await call("/echo", { schema: Echo, body: { a: [1, 2] } })).toMatchObject({
      ok: true,
      data: { method: "POST", type: "application/json", accept: "application/json" },
    });
    const bytes = new Uint8Array([104, 105]);
    const put = await call("/echo", {
      schema: Echo,
      method: "PUT",
      body: bytes,
      headers: { "content-type": "application/octet-stream", accept: "*/*" },
    });
    expect(put).toMatchObject({
      ok: true,
      data: {
        value: 2,
        method: "PUT",
        type: "application/octet-stream",
        accept: "*/*",
        body: "hi",
      },
    });
    expect(await call("/echo", { schema: Echo })).toMatchObject({
      ok: true,
      data: { method: "GET", type: null, body: "" },
    });
  });

  it("reports a status other than the one asked, with the body and its JSON", async () => {
    expect(await call("/down")).toEqual({
      ok: false,
      failure: {
        kind: "status",
        status: 503,
        body: '{"error":"down for maintenance"}',
        json: { error: "down for maintenance" },
      },
    });
    // A 2xx other than the one asked is a failure too.
    expect(await call("/created", { status: 200 })).toMatchObject({
      ok: false,
      failure: { kind: "status", status: 201, json: { value: 2 } },
    });
  });

  it("carries only the body's first characters, and no JSON for a page", async () => {
    const result = await call("/page");
    expect(result).toEqual({
      ok: false,
      failure: {
        kind: "status",
        status: 502,
        body: page.slice(0, BODY_EXCERPT_CHARS),
        json: undefined,
      },
    });
  });

  it("reports a body that is not JSON, and an empty one unless the caller reads it as a value", async () => {
    expect(await call("/text")).toEqual({
      ok: false,
      failure: { kind: "not-json", status: 200, body: "<html>gateway</html>" },
    });
    expect(await call("/empty")).toEqual({
      ok: false,
      failure: { kind: "not-json", status: 200, body: "" },
    });
    const anything = z.looseObject({});
    expect(await call("/empty", { schema: anything, emptyBody: {} })).toEqual({
      ok: true,
      status: 200,
      data: {},
    });
  });

  it("reads no more of a body than the cap, and names the cap", async () => {
    // A body that never ends: without the cap, it would be read until the timeout or memory ran out.
    const started = performance.now();
    expect(await call("/endless", { schema: z.string(), timeoutMs: 10_000 })).toEqual({
      ok: false,
      failure: { kind: "too-large", status: 200, maxBytes: MAX_ANSWER_BYTES },
    });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await call("/ok", { maxBodyBytes: 5 })).toEqual({
      ok: false,
      failure: { kind: "too-large", status: 200, maxBytes: 5 },
    });
    expect(await call("/ok", { maxBodyBytes: 11 })).toMatchObject({ ok: true });
    // An error status stays one, quoting what was read.
    expect(await call("/page", { maxBodyBytes: 100 })).toEqual({
      ok: false,
      failure: { kind: "status", status: 502, body: page.slice(0, 100), json: undefined },
    });
  });

  it("words a cap in MiB when it is a whole number of them, else in bytes", () => {
    expect(bytesText(MAX_ANSWER_BYTES)).toBe("4 MiB");
    expect(bytesText(5)).toBe("5 bytes");
  });

  it("with jsonContentType, takes only an answer that says it is JSON", async () => {
    const jsonOnly = { jsonContentType: true };
    expect(await call("/plain")).toMatchObject({ ok: true, data: { value: 3 } });
    expect(await call("/plain", jsonOnly)).toEqual({
      ok: false,
      failure: { kind: "not-json", status: 200, body: '{"value":3}' },
    });
    expect(await call("/ok", jsonOnly)).toMatchObject({ ok: true, data: { value: 1 } });
    expect(await call("/problem", jsonOnly)).toMatchObject({ ok: true, data: { value: 4 } });
    // An error status is reported as one, whatever its type.
    expect(await call("/page", jsonOnly)).toMatchObject({ ok: false, failure: { kind: "status" } });
  });

  it("reports an answer whose connection dropped mid-body as cut off, not as unreachable", async () => {
    expect(await call("/cut")).toEqual({
      ok: false,
      failure: { kind: "cut-off", status: 200, message: "other side closed" },
    });
  });

  it("reports a body that breaks the schema with each issue's path and message", async () => {
    const result = await call("/shape");
    expect(result.ok).toBe(false);
    const failure = !result.ok && result.failure;
    expect(failure).toMatchObject({ kind: "contract", status: 200, body: '{"value":"one"}' });
    const issues = failure && failure.kind === "contract" ? failure.error.issues : [];
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      [["value"], "Invalid input: expected number, received string"],
    ]);
  });

  it("times out a server that never answers, and one that stalls mid-body", async () => {
    for (const path of ["/hang", "/stall"]) {
      const started = performance.now();
      expect(await call(path, { timeoutMs: 100 }), path).toEqual({
        ok: false,
        failure: { kind: "timeout" },
      });
      expect(performance.now() - started, path).toBeLessThan(1500);
    }
  });

  it("reports a refused connection with its system error", async () => {
    const port = await freePort();
    expect(
      await fetchJson({ url: `http://127.0.0.1:${port}/ok`, schema: Answer, timeoutMs: 2000 }),
    ).toEqual({
      ok: false,
      failure: {
        kind: "unreachable",
        code: "ECONNREFUSED",
        message: `connect ECONNREFUSED 127.0.0.1:${port}`,
      },
    });
  });

  it("throws fetch's own error when the caller's signal ends the call, mid-body too", async () => {
    for (const path of ["/hang", "/stall"]) {
      const deadline = AbortSignal.timeout(50);
      const thrown = await call(path, { signal: deadline, timeoutMs: 5000 }).catch(
        (error: unknown) => error,
      );
      expect(deadline.aborted, path).toBe(true);
      expect((thrown as Error).name, path).toBe("TimeoutError");
    }
    const stop = new AbortController();
    const pending = call("/hang", { signal: stop.signal });
    stop.abort(new Error("run stopped"));
    await expect(pending).rejects.toThrow("run stopped");
    // A signal that does not end the call leaves the answer alone.
    expect(await call("/ok", { signal: new AbortController().signal })).toMatchObject({ ok: true });
  });
});
