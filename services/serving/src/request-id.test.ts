import type { IncomingHttpHeaders } from "node:http";
import { REQUEST_LOG } from "@mlops/contracts";
import fc from "fast-check";
import type { FastifyBaseLogger } from "fastify";
import { describe, expect, it } from "vitest";
import { build, capture, json, ROW, useFixture } from "../test-support/index.js";
import { predictionId, uuidv7 } from "./request-id.js";

const fixture = useFixture();

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidv7", () => {
  it("is an RFC 9562 version 7 UUID carrying its millisecond timestamp", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => {
        const id = uuidv7(ms);
        expect(id).toMatch(FORMAT);
        expect(Number.parseInt(id.replace("-", "").slice(0, 12), 16)).toBe(ms);
      }),
    );
  });

  it("orders ids by time and does not repeat within a millisecond", () => {
    const ids = Array.from({ length: 5000 }, (_, i) =>
      uuidv7(1_700_000_000_000 + Math.floor(i / 100)),
    );
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 100; i < ids.length; i += 100) expect(ids[i - 100]! < ids[i]!).toBe(true);
  });
});

/** A request as `predictionId` reads it, with a log that keeps what is bound to it. */
function request(id: string, headers: IncomingHttpHeaders) {
  const bound: Record<string, unknown>[] = [];
  const log = { setBindings: (b: Record<string, unknown>) => bound.push(b) };
  return { id, headers, log: log as unknown as FastifyBaseLogger, bound };
}

describe("predictionId", () => {
  it("is the request's id when the server made it, with or without a header it refused", () => {
    const id = uuidv7();
    expect(predictionId(request(id, {}))).toBe(id);
    expect(predictionId(request(id, { "x-request-id": "not valid/" }))).toBe(id);
  });

  it("is bound to the request's log lines", () => {
    const req = request("abc", { "x-request-id": "abc" });
    const id = predictionId(req);
    expect(req.bound).toEqual([{ [REQUEST_LOG.fields.predictionId]: id }]);
  });

  it("is a new time-ordered id per request when the request's id is the client's", () => {
    const req = request("abc", { "x-request-id": "abc" });
    const ids = Array.from({ length: 20 }, () => predictionId(req));
    for (const id of ids) expect(id).toMatch(FORMAT);
    expect(new Set(ids).size).toBe(20);
    // Ordered by their milliseconds (the random bits order ids within one).
    const ms = ids.map((id) => id.slice(0, 13));
    expect([...ms].sort()).toEqual(ms);
  });
});

describe("the served line of a prediction", () => {
  it("carries the correlation id and the prediction's, whoever made the correlation id", async () => {
    const { stream, records } = capture();
    const app = await build(fixture, {}, { logger: { level: "info", stream } });
    const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
      app.inject({
        url,
        ...json(body),
        headers: { "content-type": "application/json", ...headers },
      });
    const answers = [
      await post("/predict", { features: ROW }),
      await post("/predict", { features: ROW }, { "x-request-id": "trace-1" }),
      await post("/predict/batch", { rows: [ROW, ROW] }, { "x-request-id": "trace-2" }),
      await app.inject({ url: "/health/live" }),
    ];
    const served = records
      .filter((r) => r.msg === REQUEST_LOG.message)
      .map((r) => [r.reqId, r[REQUEST_LOG.fields.predictionId]]);
    const [one, traced, batch] = answers.map((a) => a.json());
    const made = answers[0]!.headers["x-request-id"];
    expect(one.request_id).toBe(made);
    const batchId = batch.predictions[0].request_id.replace(/\.0$/, "");
    expect(batch.predictions.map((p: { request_id: string }) => p.request_id)).toEqual([
      `${batchId}.0`,
      `${batchId}.1`,
    ]);
    expect(served).toEqual([
      [made, made],
      ["trace-1", traced.request_id],
      ["trace-2", batchId],
      [answers[3]!.headers["x-request-id"], undefined],
    ]);
  });
});
