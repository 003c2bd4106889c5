import { LOG_LOSS_EPSILON } from "@mlops/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { outcomeTerms } from "./terms.js";

const ok = (prediction: string, probabilities: Record<string, number> | null) => ({
  status: "ok" as const,
  prediction,
  probabilities,
});

describe("outcomeTerms", () => {
  it("scores a hit, a miss and a numeric outcome", () => {
    expect(outcomeTerms(ok("a", { a: 0.8, b: 0.2 }), "a")).toEqual({
      correct: 1,
      value: null,
      logLoss: -Math.log(0.8),
    });
    expect(outcomeTerms(ok("a", { a: 0.8, b: 0.2 }), "b")?.correct).toBe(0);
    expect(outcomeTerms(ok("1", { "0": 0.25, "1": 0.75 }), 1)).toEqual({
      correct: 1,
      value: 1,
      logLoss: -Math.log(0.75),
    });
  });

  it("scores a number that names no class as a value only", () => {
    for (const outcome of [7, 1.5, -1]) {
      expect(outcomeTerms(ok("1", { "0": 0.25, "1": 0.75 }), outcome)).toEqual({
        correct: null,
        value: outcome,
        logLoss: null,
      });
    }
    // Without probabilities the predicted class is the only class known.
    expect(outcomeTerms(ok("1", null), 1)).toEqual({ correct: 1, value: 1, logLoss: null });
    expect(outcomeTerms(ok("1", null), 2)?.correct).toBeNull();
  });

  it("gives failed predictions no terms", () => {
    expect(
      outcomeTerms({ status: "error", prediction: null, probabilities: null }, "a"),
    ).toBeNull();
  });

  it("clips the log loss of an unseen or certain class", () => {
    expect(outcomeTerms(ok("a", { a: 1 }), "zzz")?.logLoss).toBeCloseTo(
      -Math.log(LOG_LOSS_EPSILON),
      12,
    );
    expect(outcomeTerms(ok("a", { a: 1 }), "a")?.logLoss).toBeCloseTo(
      -Math.log(1 - LOG_LOSS_EPSILON),
      20,
    );
    expect(outcomeTerms(ok("a", { a: 1 }), "constructor")?.logLoss).toBeCloseTo(
      -Math.log(LOG_LOSS_EPSILON),
      12,
    );
  });

  it("keeps log loss within its clipped range and correctness to label equality", () => {
    const label = fc.constantFrom("a", "b", "c", "0", "1");
    fc.assert(
      fc.property(
        label,
        fc.dictionary(label, fc.double({ min: 0, max: 1, noNaN: true })),
        fc.oneof(label, fc.integer({ min: 0, max: 3 })),
        (predicted, probabilities, outcome) => {
          const terms = outcomeTerms(ok(predicted, probabilities), outcome);
          const observed = String(outcome);
          const namesClass =
            typeof outcome === "string" || observed === predicted || observed in probabilities;
          if (!namesClass) {
            expect(terms).toEqual({ correct: null, value: outcome, logLoss: null });
            return;
          }
          expect(terms?.correct).toBe(predicted === observed ? 1 : 0);
          expect(terms?.logLoss).toBeGreaterThanOrEqual(-Math.log(1 - LOG_LOSS_EPSILON));
          expect(terms?.logLoss).toBeLessThanOrEqual(-Math.log(LOG_LOSS_EPSILON));
          expect(terms?.value).toBe(typeof outcome === "number" ? outcome : null);
        },
      ),
    );
  });
});
