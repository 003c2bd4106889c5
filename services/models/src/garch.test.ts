import { describe, expect, it } from "vitest";
import { readDemoFixture } from "../test-support/index.js";
import { garchModelFile, loadGarch } from "./garch.js";

describe("GARCH artifacts", () => {
  it("restore a fit that forecasts and writes back the same model file", async () => {
    const fixture = await readDemoFixture();
    const artifact = fixture.find((m) => m.manifest.kind === "garch")!;
    const fit = loadGarch(artifact);
    expect(fit.spec).toMatchObject({ p: 1, q: 1, dist: "normal" });
    expect(fit.logLikelihood).toBe(artifact.manifest.metrics.log_likelihood);
    const { variance } = fit.forecast(3);
    expect(variance).toHaveLength(3);
    for (const v of variance) expect(v).toBeGreaterThan(0);
    expect(garchModelFile(fit)).toBe(artifact.model);
  });

  it("refuses an artifact of another kind", async () => {
    const classifier = (await readDemoFixture())[0]!;
    expect(() => loadGarch(classifier)).toThrow("model classifier@1 is not GARCH");
  });
});
