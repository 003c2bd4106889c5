import { describe, expect, it } from "vitest";
import { GuardrailsSchema } from "./stack-schema.js";

describe("GuardrailsSchema", () => {
  it("takes a positive daily cap and monthly budget", () => {
    expect(GuardrailsSchema.parse({ logDailyCapGb: 0.5, monthlyBudget: 800 })).toEqual({
      logDailyCapGb: 0.5,
      monthlyBudget: 800,
    });
  });

  it("refuses a missing, zero or negative cap or budget, naming the key", () => {
    const paths = (value: unknown) =>
      GuardrailsSchema.safeParse(value).error?.issues.map((i) => i.path.join("."));
    expect(paths({ monthlyBudget: 800 })).toEqual(["logDailyCapGb"]);
    expect(paths({ logDailyCapGb: 0, monthlyBudget: -1 })).toEqual([
      "logDailyCapGb",
      "monthlyBudget",
    ]);
  });
});
