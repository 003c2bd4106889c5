import { registerVersion } from "@mlops/store";
import { describe, expect, it } from "vitest";
import { build, demoStore, GARCH_MODE, json, useFixture } from "../../test-support/index.js";

const fixture = useFixture();

describe("the GARCH version reported", () => {
  it("follows a promotion in /models and /health, as the forecasts do", async () => {
    const store = await demoStore();
    const platform = await build(fixture, {}, { store });
    const service = await build(fixture, GARCH_MODE, { store });
    const reported = async () => {
      const models = (await platform.inject("/models")).json();
      const health = (await platform.inject("/health")).json();
      const forecast = (await service.inject({ url: "/predict", ...json({ horizon: 1 }) })).json();
      const garchModels = (await service.inject("/models")).json();
      return {
        models: models.served.find((m: { kind: string }) => m.kind === "garch").version,
        health: health.models.garch.version,
        forecast: forecast.model.version,
        service: garchModels.served.find((m: { kind: string }) => m.kind === "garch").version,
      };
    };
    expect(await reported()).toEqual({ models: 1, health: 1, forecast: 1, service: 1 });

    // `mlops promote`: a new version, and the alias the servers were configured with moved to it.
    const dem = await store.models.resolve("dem2gbp@1");
    const next = await registerVersion(store.models, dem);
    await store.models.setAlias("dem2gbp", "champion", next.version);
    expect(await reported()).toEqual({ models: 2, health: 2, forecast: 2, service: 2 });

    // An alias that no longer names a version: nothing is served by default, and nothing claimed.
    await store.models.deleteAlias("dem2gbp", "champion");
    expect(
      (await platform.inject("/models")).json().served.map((m: { kind: string }) => m.kind),
    ).not.toContain("garch");
    const health = (await platform.inject("/health")).json();
    expect([health.status, health.models.garch]).toEqual(["degraded", undefined]);
    // The GARCH service cannot answer a forecast without a model: unhealthy, saying why.
    const unhealthy = await service.inject("/health");
    expect([unhealthy.statusCode, unhealthy.json()]).toEqual([
      503,
      {
        status: "unhealthy",
        timestamp: expect.any(String),
        reason: "the default model dem2gbp@champion names no registered version",
      },
    ]);
    // Its alias back: healthy again.
    await store.models.setAlias("dem2gbp", "champion", next.version);
    expect((await service.inject("/health")).json().status).toBe("healthy");
    expect((await platform.inject("/health")).json().status).toBe("ok");
  });
});
