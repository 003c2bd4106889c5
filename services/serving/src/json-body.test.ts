/**
 * Text in a JSON body is taken as sent or refused, never repaired: bytes that are not UTF-8 and
 * lone surrogates would both reach the store as U+FFFD, merging distinct user ids and labels.
 */
import { describe, expect, it } from "vitest";
import { build, ROW as row, useFixture } from "../test-support/index.js";

const fixture = useFixture();

/** `app.inject` options that POST `payload` (text or bytes) as JSON. */
const raw = (url: string, payload: string | Buffer) => ({
  method: "POST" as const,
  url,
  headers: { "content-type": "application/json" },
  payload,
});

const SURROGATE_RULE =
  "must not contain a lone surrogate (a \\uD800-\\uDFFF escape that is not half of a pair)";

describe("JSON bodies", () => {
  it("refuses bytes that are not UTF-8, naming the body", async () => {
    const app = await build(fixture);
    for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]]) {
      const payload = Buffer.concat([
        Buffer.from(`{"features": ${JSON.stringify(row)}, "user_id": "u`),
        Buffer.from(bytes),
        Buffer.from('"}'),
      ]);
      const res = await app.inject(raw("/predict", payload));
      expect(res.statusCode, JSON.stringify(bytes)).toBe(400);
      expect(res.json()).toMatchObject({
        error: "FST_ERR_CTP_INVALID_JSON_BODY",
        message: "body is not valid UTF-8: JSON text must be UTF-8 (RFC 8259)",
      });
    }
  });

  it("refuses a lone surrogate in a string or a key, naming the field", async () => {
    const app = await build(fixture);
    const cases: [string, string, string][] = [
      ["/predict", `{"features": ${JSON.stringify(row)}, "user_id": "u\\ud800"}`, "user_id"],
      ["/predict", `{"features": ${JSON.stringify(row)}, "user_id": "\\udc00u"}`, "user_id"],
      ["/feedback", '{"request_id": "r-1", "outcome": "\\ud83d"}', "outcome"],
      ["/feedback", '{"request_id": "r\\udfff", "outcome": "1"}', "request_id"],
      ["/predict/batch", '{"rows": [[1], {"a\\ud800": 1}]}', "rows[1].a\\ud800"],
    ];
    for (const [url, payload, path] of cases) {
      const res = await app.inject(raw(url, payload));
      expect(res.statusCode, payload).toBe(400);
      const message = path.startsWith("rows") ? `key ${SURROGATE_RULE}` : SURROGATE_RULE;
      expect(res.json()).toMatchObject({
        error: "VALIDATION_FAILED",
        issues: [{ path, message }],
      });
    }
  });

  it("takes pairs, escaped or not, and a U+FFFD the client sent", async () => {
    const app = await build(fixture);
    for (const user of ["\\ud83d\\ude00", "😀", "\\ufffd", "\uFFFD", "caf\\u00e9"]) {
      const res = await app.inject(
        raw("/predict", `{"features": ${JSON.stringify(row)}, "user_id": "${user}"}`),
      );
      expect(res.statusCode, user).toBe(200);
    }
  });

  it("finds a lone surrogate however deep the body nests", async () => {
    const app = await build(fixture);
    const depth = 5000;
    const payload = `{"rows": ${"[".repeat(depth)}"\\ud800"${"]".repeat(depth)}}`;
    const res = await app.inject(raw("/predict/batch", payload));
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0].message).toBe(SURROGATE_RULE);
    expect(res.json().issues[0].path).toMatch(/^rows\[0\]\[0\]/);
  });
});
