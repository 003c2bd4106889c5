import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COSMOS_LAYOUT } from "./cosmos-layout.js";
import { SERVING_METRICS } from "./metrics.js";
import { SERVING_ENV } from "./serving-config.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
/** A table row whose first cell is `code` (cells may be padded by the formatter). */
const row = (code: string, next?: string) =>
  new RegExp(`\\|\\s*\`${code}\`\\s*\\|${next === undefined ? "" : `\\s*\`${next}\`\\s*\\|`}`);

describe("README", () => {
  it("documents every serving env var, container and metric", () => {
    for (const name of Object.values(SERVING_ENV)) expect(readme).toMatch(row(name));
    for (const spec of Object.values(COSMOS_LAYOUT.containers)) {
      expect(readme).toMatch(row(spec.id, spec.partitionKeyPath));
    }
    for (const metric of SERVING_METRICS) expect(readme).toMatch(row(metric.name));
  });
});
