import { describe, expect, it } from "vitest";
import { ExperimentsInputError } from "./errors.js";
import { simulateTraffic } from "./traffic-simulator.js";

describe("simulateTraffic", () => {
  it("refuses a deadline Node's timers cannot keep, before sending anything", async () => {
    // Nothing listens at this URL: a request sent would fail with another error.
    const url = "http://127.0.0.1:1";
    for (const timeoutMs of [0, -5, 3e9]) {
      const refused = simulateTraffic({ url, effect: 0.1, timeoutMs });
      await expect(refused).rejects.toThrow(ExperimentsInputError);
      await expect(refused).rejects.toThrow(/^timeoutMs: must be/);
    }
    await expect(simulateTraffic({ url, effect: 0.1, timeoutMs: 3e9 })).rejects.toThrow(
      "timeoutMs: must be at most 2147483647 ms (about 24.8 days), got 3000000000",
    );
  });
});
