/**
 * The model-load gauge and log lines follow what is served: after a promotion moves the GARCH
 * alias, the next resolution loads the new version, which replaces the old one's series.
 */
import { MODEL_LOADED_LOG } from "@mlops/contracts";
import { registerVersion } from "@mlops/store";
import { describe, expect, it } from "vitest";
import { build, capture, demoStore, json, useFixture } from "../../test-support/index.js";

const fixture = useFixture();

describe("model_load_seconds and the model loaded lines", () => {
  it("carry the GARCH version a promotion moved the alias to, and drop the old one's series", async () => {
    const store = await demoStore();
    const { stream, records } = capture();
    const app = await build(fixture, {}, { store, logger: { level: "info", stream } });
    const gaugeLabels = async () =>
      [...(await app.inject("/metrics")).body.matchAll(/^model_load_seconds\{model="([^"]+)"\}/gm)]
        .map((m) => m[1])
        .sort();
    const loaded = () =>
      records.filter((r) => r.msg === MODEL_LOADED_LOG.message).map((r) => r.model);
    const forecast = async (model: string) => {
      const res = await app.inject({ url: "/garch/forecast", ...json({ model, horizon: 1 }) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().model.version;
    };
    const atStart = ["classifier@1", "classifier@2", "dem2gbp@1"];
    expect(await gaugeLabels()).toEqual(atStart);
    expect(loaded()).toEqual(atStart);

    // `mlops promote`: a new version, and the alias the server was configured with moved to it.
    const next = await registerVersion(store.models, await store.models.resolve("dem2gbp@1"));
    await store.models.setAlias("dem2gbp", "champion", next.version);
    expect(await forecast("dem2gbp@champion")).toBe(2);
    expect(await gaugeLabels()).toEqual(["classifier@1", "classifier@2", "dem2gbp@2"]);
    expect(loaded()).toEqual([...atStart, "dem2gbp@2"]);

    // Served again, or the old version asked for by number: nothing changes.
    expect(await forecast("dem2gbp@champion")).toBe(2);
    expect(await forecast("dem2gbp@1")).toBe(1);
    expect(await gaugeLabels()).toEqual(["classifier@1", "classifier@2", "dem2gbp@2"]);
    expect(loaded()).toEqual([...atStart, "dem2gbp@2"]);
  });
});
