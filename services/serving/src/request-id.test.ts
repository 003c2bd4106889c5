import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { predictionId, uuidv7 } from "./request-id.js";

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

describe("predictionId", () => {
  it("is the request's id when the server made it, with or without a header it refused", () => {
    const id = uuidv7();
    expect(predictionId({ id, headers: {} })).toBe(id);
    expect(predictionId({ id, headers: { "x-request-id": "not valid/" } })).toBe(id);
  });

  it("is a new time-ordered id per request when the request's id is the client's", () => {
    const request = { id: "abc", headers: { "x-request-id": "abc" } };
    const ids = Array.from({ length: 20 }, () => predictionId(request));
    for (const id of ids) expect(id).toMatch(FORMAT);
    expect(new Set(ids).size).toBe(20);
    // Ordered by their milliseconds (the random bits order ids within one).
    const ms = ids.map((id) => id.slice(0, 13));
    expect([...ms].sort()).toEqual(ms);
  });
});
