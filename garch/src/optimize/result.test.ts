import { describe, expect, it } from "vitest";
import { decrementText } from "./result.js";

describe("decrementText", () => {
  it("shows a rounding-level negative decrement at an optimum as 0, not a negative number", () => {
    expect(decrementText(-4.0e-18, 1)).toBe("0.0e+0");
    expect(decrementText(-0, 2)).toBe("0.00e+0");
  });
  it("shows any other decrement in exponent form with the digits asked for", () => {
    expect(decrementText(1.234e-9, 1)).toBe("1.2e-9");
    expect(decrementText(0.5, 2)).toBe("5.00e-1");
    expect(decrementText(Number.NaN, 1)).toBe("NaN");
  });
});
