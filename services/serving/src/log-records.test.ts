import { MODEL_LOADED_LOG, PINO_LEVELS, REQUEST_LOG } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { build, capture, GARCH_MODE, json, useFixture } from "../test-support/index.js";

const fixture = useFixture();

describe("the log records the saved queries and dashboard read (contracts log-records.ts)", () => {
  it("writes one request line per answer and one line per model loaded, with their fields", async () => {
    const { stream, records } = capture();
    const app = await build(fixture, GARCH_MODE, { logger: { level: "info", stream } });
    await app.inject({ url: "/predict", ...json({ horizon: 2 }) });
    await app.inject({ url: "/predict", ...json({ horizon: -1 }) });

    const loaded = records.filter((r) => r.msg === MODEL_LOADED_LOG.message);
    expect(loaded).toHaveLength(1);
    const M = MODEL_LOADED_LOG.fields;
    expect(loaded[0]).toMatchObject({ [M.model]: "dem2gbp@1", [M.kind]: "garch" });
    expect(loaded[0]![M.ms]).toBeGreaterThan(0);

    const served = records.filter((r) => r.msg === REQUEST_LOG.message);
    const F = REQUEST_LOG.fields;
    expect(served.map((r) => [r[F.method], r[F.url], r[F.status], r.level])).toEqual([
      ["POST", "/predict", 200, PINO_LEVELS.info],
      ["POST", "/predict", 400, PINO_LEVELS.info],
    ]);
    for (const r of served) expect(typeof r[F.ms]).toBe("number");
  });
});
