import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { build, json, useFixture } from "../../test-support/index.js";

const fixture = useFixture();

/** `POST /garch/forecast` of `model`, `horizon` steps ahead. */
const forecast = (app: FastifyInstance, model: string, horizon: number) =>
  app.inject({ url: "/garch/forecast", ...json({ model, horizon }) });

describe("GARCH", () => {
  it("counts answered forecasts and the server's failures, never a client's mistake", async () => {
    const app = await build(fixture);
    await forecast(app, "dem2gbp@1", 2);
    // Unknown names (each a new text), bad references, a classifier, a series that cannot be fitted.
    for (let i = 0; i < 20; i++) expect((await forecast(app, `nope${i}`, 2)).statusCode).toBe(404);
    expect((await forecast(app, "a@B C", 2)).statusCode).toBe(400);
    expect((await forecast(app, "classifier@champion", 2)).statusCode).toBe(404);
    const flat = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: Array(200).fill(0), horizon: 3 }),
    });
    expect(flat.statusCode).toBe(422);
    const series = (await app.inject({ url: "/metrics" })).body
      .split("\n")
      .filter((line) => line.startsWith('prediction_requests_total{variant="garch"'));
    expect(series).toEqual([
      'prediction_requests_total{variant="garch",model="dem2gbp@1",status="ok"} 1',
    ]);
  });

  it("forecasts from the registered fit by alias and by version", async () => {
    const app = await build(fixture);
    const byAlias = await forecast(app, "dem2gbp@champion", 5);
    expect(byAlias.statusCode).toBe(200);
    const body = byAlias.json();
    expect(body.model).toEqual({ name: "dem2gbp", version: 1 });
    expect(body.variance).toHaveLength(5);
    body.variance.forEach((v: number, i: number) => {
      expect(v).toBeGreaterThan(0);
      expect(body.volatility[i]).toBeCloseTo(Math.sqrt(v), 12);
    });
    const byVersion = await forecast(app, "dem2gbp@1", 5);
    expect(byVersion.json().variance).toEqual(body.variance);
  });

  it("says which model reference is wrong or unknown", async () => {
    const app = await build(fixture);
    const unknown = await forecast(app, "nope@1", 2);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe("MODEL_NOT_FOUND");
    const classifier = await forecast(app, "classifier@champion", 2);
    expect(classifier.statusCode).toBe(404);
    expect(classifier.json().message).toMatch(/classifier model, not garch/);
    const bad = await forecast(app, "a@B C", 2);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe("model");
    expect(bad.json().message).toMatch(/^model: alias /);
    const far = await forecast(app, "dem2gbp@1", 0);
    expect(far.json().issues[0].path).toBe("horizon");
  });

  it("fits posted returns and forecasts; a series it cannot fit is a 4xx", async () => {
    const app = await build(fixture);
    // A GARCH(1,1)-like series from a fixed recursion, so the test needs no randomness.
    const returns: number[] = [];
    let h = 1;
    let e = 0.5;
    for (let t = 0; t < 400; t++) {
      h = 0.1 + 0.1 * e * e + 0.8 * h;
      e = Math.sqrt(h) * Math.sin(t * 1.7 + 0.3) * 1.2;
      returns.push(e);
    }
    const res = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns, p: 1, q: 1, horizon: 3 }),
    });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().params)).toEqual(
      expect.arrayContaining(["omega", "alpha[1]", "beta[1]"]),
    );
    expect(res.json().variance).toHaveLength(3);
    const flat = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: Array(200).fill(0), horizon: 3 }),
    });
    expect(flat.statusCode).toBeGreaterThanOrEqual(400);
    expect(flat.statusCode).toBeLessThan(500);
    // Returns in a unit whose variance no double holds: the rule, not a failed forecast.
    const huge = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: returns.map((r) => r * 1e300), horizon: 3 }),
    });
    expect(huge.statusCode).toBe(422);
    expect(huge.json().message).toMatch(/returns has a standard deviation of .* rescale/);
    // Returns in an unusual but representable unit are fitted as they are.
    const tiny = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: returns.map((r) => r * 1e-100), p: 1, q: 1, horizon: 3 }),
    });
    expect(tiny.statusCode).toBe(200);
    tiny.json().variance.forEach((v: number, i: number) => {
      expect(v / 1e-200).toBeCloseTo(res.json().variance[i], 6);
    });
    const short = await app.inject({
      url: "/garch/fit-forecast",
      ...json({ returns: [1, 2], horizon: 3 }),
    });
    expect(short.json().issues[0].path).toBe("returns");
  });
});
