import { describe, expect, it } from "vitest";
import { amaMetricsSettingsData } from "./prometheus-scrape.js";

describe("amaMetricsSettingsData", () => {
  it("scrapes exactly the given namespaces", () => {
    expect(amaMetricsSettingsData(["serving", "serving-canary"])).toMatchObject({
      "pod-annotation-based-scraping": 'podannotationnamespaceregex = "serving|serving-canary"',
    });
  });

  it("refuses an empty list and names that would not be namespaces", () => {
    expect(() => amaMetricsSettingsData([])).toThrow(
      "namespaces: at least one namespace must be scraped",
    );
    expect(() => amaMetricsSettingsData(["serving.*"])).toThrow(
      'namespaces: "serving.*" must be a DNS-1123 label',
    );
  });
});
