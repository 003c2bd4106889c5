import { describe, expect, it } from "vitest";
import { firstOfMonth } from "./guardrails.js";

describe("firstOfMonth", () => {
  it("is the first day of the UTC month, as budgets want their start", () => {
    expect(firstOfMonth(new Date("2026-12-06T03:30:00Z"))).toBe("2026-12-01");
    expect(firstOfMonth(new Date("2027-01-31T23:59:59Z"))).toBe("2027-01-01");
    // Still the last day of February in UTC, whatever the local zone says.
    expect(firstOfMonth(new Date("2028-02-29T23:30:00-02:00"))).toBe("2028-03-01");
  });
});
