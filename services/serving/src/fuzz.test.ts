import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type Fixture, openFixture } from "../test-support/index.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await openFixture();
});
afterAll(() => fixture.dispose());

/** Anything JSON can carry, including the wrong types in the right places. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const badNumber = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.object({ maxDepth: 1 }),
);
const badBodies = fc.oneof(
  anyJson,
  fc.record({ features: anyJson, user_id: anyJson }, { requiredKeys: [] }),
  fc.record({ features: fc.array(fc.oneof(fc.double(), badNumber), { maxLength: 12 }) }),
  fc.record({
    features: fc.array(fc.double(), { minLength: 5, maxLength: 5 }),
    user_id: badNumber,
  }),
  fc.record({ rows: fc.array(anyJson, { maxLength: 4 }) }),
  fc.record({ request_id: anyJson, outcome: anyJson }, { requiredKeys: [] }),
  fc.record({ model: anyJson, horizon: anyJson }, { requiredKeys: [] }),
);
const routes = [
  "/predict",
  "/predict/batch",
  "/feedback",
  "/garch/forecast",
  "/garch/fit-forecast",
];

describe("malformed requests", () => {
  it("get a 4xx whose body names what is wrong, and the server stays healthy", async () => {
    const app = await build(fixture, { MLOPS_BATCH_MAX_ROWS: "8" });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), badBodies, async (url, body) => {
        const res = await app.inject({
          method: "POST",
          url,
          headers: { "content-type": "application/json" },
          payload: JSON.stringify(body),
        });
        // Some random bodies are valid by chance (e.g. a feedback with an id and an outcome).
        if (res.statusCode < 300) return;
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        const error = res.json();
        expect(error.error).toMatch(/^[A-Z_]+$/);
        expect(error.message.length).toBeGreaterThan(0);
        if (error.error === "VALIDATION_FAILED") {
          expect(error.issues.length).toBeGreaterThan(0);
          for (const issue of error.issues) {
            expect(error.message).toContain(`${issue.path}: ${issue.message}`);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect((await app.inject({ url: "/health/ready" })).statusCode).toBe(200);
    const ok = await app.inject({
      method: "POST",
      url: "/predict",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ features: [1, 2, 3, 4, 5] }),
    });
    expect(ok.statusCode).toBe(200);
  });

  it("get a 4xx for raw bytes that are not JSON", async () => {
    const app = await build(fixture);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 64 }), async (text) => {
        fc.pre(!isJson(text));
        const res = await app.inject({
          method: "POST",
          url: "/predict",
          headers: { "content-type": "application/json" },
          payload: text,
        });
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
