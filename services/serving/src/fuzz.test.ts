/**
 * Bad bodies never answer 5xx. The routes come from the API's own OpenAPI document, so a route
 * added later is fuzzed too; each body is judged against the route's published body schema (its
 * JSON Schema read back with zod): one the schema rejects must get a 4xx whose body is the
 * documented `ErrorResponse`, naming what is wrong; any body at all must get less than 500. The
 * server answers health checks and a valid prediction afterwards. The GARCH service
 * (`MLOPS_MODE=garch`) is fuzzed the same way, with bodies aimed at its contract's rules too.
 */
import { ErrorResponseSchema, MAX_LISTED_ISSUES } from "@mlops/contracts";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { type ZodType, z } from "zod";
import { build, GARCH_MODE, json, ROW, useFixture } from "../test-support/index.js";

const fixture = useFixture();

/** A route taking a JSON body, with its published body schema. */
interface BodyRoute {
  readonly method: string;
  readonly url: string;
  readonly properties: readonly string[];
  readonly schema: ZodType;
}

/** Every route of `app` with a JSON request body, read from its OpenAPI document. */
function bodyRoutes(app: FastifyInstance): BodyRoute[] {
  type Operation = { requestBody?: { content?: Record<string, { schema?: object }> } };
  const doc = app.swagger() as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(doc.paths).flatMap(([url, operations]) =>
    Object.entries(operations).flatMap(([method, op]) => {
      const schema = op.requestBody?.content?.["application/json"]?.schema as
        | { properties?: Record<string, unknown> }
        | undefined;
      if (schema === undefined) return [];
      return [
        {
          method: method.toUpperCase(),
          url,
          properties: Object.keys(schema.properties ?? {}),
          schema: z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]),
        },
      ];
    }),
  );
}

/** Anything JSON can carry, including the wrong types in the right places. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const wrongScalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.boolean(),
  fc.constant(null),
  fc.double(),
  fc.object({ maxDepth: 1 }),
);
/** Bodies shaped like `route`'s: its own keys with anything in them, and strangers. */
const nearlyValid = (route: BodyRoute) =>
  fc.oneof(
    fc.dictionary(fc.constantFrom(...route.properties), anyJson),
    fc.dictionary(fc.constantFrom(...route.properties), fc.array(wrongScalar, { maxLength: 400 })),
    fc.record({
      ...Object.fromEntries(route.properties.map((p) => [p, anyJson])),
      [`${"k".repeat(600)}`]: anyJson,
    }),
  );

async function expectRefusedOrServed(app: FastifyInstance, route: BodyRoute, body: unknown) {
  const res = await app.inject({ ...json(body), method: route.method, url: route.url });
  expect(res.statusCode, `${route.url} ${res.body.slice(0, 200)}`).toBeLessThan(500);
  if (route.schema.safeParse(body).success) return;
  expect(res.statusCode, route.url).toBeGreaterThanOrEqual(400);
  const error = ErrorResponseSchema.parse(res.json());
  expect(error.message.length).toBeGreaterThan(0);
  if (error.error === "VALIDATION_FAILED") {
    expect(error.issues!.length).toBeGreaterThan(0);
    expect(error.issues!.length).toBeLessThanOrEqual(MAX_LISTED_ISSUES);
    expect(error.issue_count).toBeGreaterThanOrEqual(error.issues!.length);
    for (const issue of error.issues!) {
      expect(error.message).toContain(`${issue.path}: ${issue.message}`);
    }
  }
}

/** A valid `/predict` body per mode: a feature row, or a GARCH horizon. */
const VALID_PREDICT = { api: { features: ROW }, garch: { horizon: 5 } };

async function stillHealthy(app: FastifyInstance, mode: keyof typeof VALID_PREDICT = "api") {
  expect((await app.inject({ url: "/health/ready" })).statusCode).toBe(200);
  const ok = await app.inject({ url: "/predict", ...json(VALID_PREDICT[mode]) });
  expect(ok.statusCode).toBe(200);
}

/** Asserts that text which is not JSON, posted as JSON to `url`, gets a 4xx. */
async function refusesNonJson(app: FastifyInstance, url: string) {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 64 }), async (text) => {
      fc.pre(!isJson(text));
      const res = await app.inject({
        method: "POST",
        url,
        headers: { "content-type": "application/json" },
        payload: text,
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }),
    { numRuns: 100 },
  );
}

describe("bad bodies", () => {
  it("reach every route with a body: predictions, feedback and GARCH", async () => {
    const app = await build(fixture);
    expect(bodyRoutes(app).map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /predict",
      "POST /predict/batch",
      "POST /feedback",
      "POST /garch/forecast",
      "POST /garch/fit-forecast",
    ]);
  });

  it("that a route's schema rejects get a 4xx ErrorResponse, never a 5xx", async () => {
    const app = await build(fixture, { MLOPS_BATCH_MAX_ROWS: "8" });
    const routes = bodyRoutes(app);
    const routeAndBody = fc
      .constantFrom(...routes)
      .chain((route) => fc.tuple(fc.constant(route), fc.oneof(anyJson, nearlyValid(route))));
    await fc.assert(
      fc.asyncProperty(routeAndBody, ([route, body]) => expectRefusedOrServed(app, route, body)),
      { numRuns: 400 },
    );
    await stillHealthy(app);
  });

  it("list a bounded number of issues with the total, however many rules they break", async () => {
    const app = await build(fixture);
    // 300 strings where numbers belong: 300 issues, once a 500 for an oversized error reply.
    const res = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: Array.from({ length: 300 }, (_, i) => `r${i}`) }),
    });
    expect(res.statusCode).toBe(400);
    const error = ErrorResponseSchema.parse(res.json());
    expect(error.error).toBe("VALIDATION_FAILED");
    expect(error.issue_count).toBeGreaterThanOrEqual(300);
    expect(error.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(error.message).toMatch(
      new RegExp(`; and ${error.issue_count! - MAX_LISTED_ISSUES} more$`),
    );
    await stillHealthy(app);
  });

  it("that are not JSON at all get a 4xx", async () => {
    const app = await build(fixture);
    await refusesNonJson(app, "/predict");
    await stillHealthy(app);
  });
});

describe("bad bodies to the GARCH service (MLOPS_MODE=garch)", () => {
  /** Numbers as JSON cannot carry them, and numbers at the edges of the rules. */
  const oddNumber = fc.oneof(
    fc.constantFrom("NaN", "Infinity", "-Infinity", "5", "1e400"),
    fc.integer({ min: -20, max: 100_000 }),
    fc.double({ noNaN: true }),
  );
  /** Bodies aimed at the contract's rules: horizons, orders, series, names and distributions. */
  const contractBody = fc.record(
    {
      model: fc.oneof(
        fc.constantFrom("dem2gbp", "dem2gbp@champion", "dem2gbp@99", "classifier", "no-such-model"),
        fc.string({ maxLength: 140 }),
      ),
      horizon: oddNumber,
      returns: fc.oneof(
        fc.constant([]),
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), {
          minLength: 90,
          maxLength: 260,
        }),
        fc.array(oddNumber, { maxLength: 300 }),
      ),
      p: oddNumber,
      q: oddNumber,
      dist: fc.constantFrom("normal", "t", "skewt", "ged", "cauchy", 3),
      mean: fc.constantFrom("zero", "constant", "ar", null),
    },
    { requiredKeys: [] },
  );

  it("reach its prediction routes and the platform's GARCH routes", async () => {
    const app = await build(fixture, GARCH_MODE);
    expect(bodyRoutes(app).map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /predict",
      "POST /predict/custom",
      "POST /garch/forecast",
      "POST /garch/fit-forecast",
    ]);
  });

  it("that a route's schema rejects get a 4xx ErrorResponse naming field and rule, never a 5xx", async () => {
    const app = await build(fixture, GARCH_MODE);
    const routes = bodyRoutes(app);
    const routeAndBody = fc
      .constantFrom(...routes)
      .chain((route) =>
        fc.tuple(fc.constant(route), fc.oneof(anyJson, nearlyValid(route), contractBody)),
      );
    await fc.assert(
      fc.asyncProperty(routeAndBody, ([route, body]) => expectRefusedOrServed(app, route, body)),
      { numRuns: 300 },
    );
    await stillHealthy(app, "garch");
  });

  it("that are not JSON at all get a 4xx on both prediction routes", async () => {
    const app = await build(fixture, GARCH_MODE);
    for (const url of ["/predict", "/predict/custom"]) await refusesNonJson(app, url);
    await stillHealthy(app, "garch");
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
