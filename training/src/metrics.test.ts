import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OptionError } from "./errors.js";
import { accuracy, type ClassificationMetrics, classificationMetrics, rocAuc } from "./metrics.js";

interface Fixture {
  name: string;
  nClasses: number;
  yTrue: number[];
  yPred: number[];
  probabilities: number[];
  expected: ClassificationMetrics;
}

// Written by bench/metrics_fixtures.py with scikit-learn (version inside the file).
const fixtures: { cases: Fixture[] } = JSON.parse(
  readFileSync(new URL("./fixtures/metrics.json", import.meta.url), "utf8"),
);

describe("classificationMetrics", () => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))("matches scikit-learn: %s", (_, c) => {
    const got = classificationMetrics(
      Int32Array.from(c.yTrue),
      Int32Array.from(c.yPred),
      Float64Array.from(c.probabilities),
      c.nClasses,
    );
    for (const key of Object.keys(c.expected) as (keyof ClassificationMetrics)[]) {
      if (key === "confusionMatrix") expect(got[key]).toEqual(c.expected[key]);
      else expect(got[key], key).toBeCloseTo(c.expected[key], 12);
    }
  });

  it("rejects mismatched inputs naming the argument", () => {
    const y = Int32Array.of(0, 1);
    expect(() =>
      classificationMetrics(y, Int32Array.of(0), Float64Array.of(1, 0, 0, 1), 2),
    ).toThrow(new OptionError("yPred", "must have the 2 rows of yTrue", 1));
    expect(() =>
      classificationMetrics(y, Int32Array.of(0, 2), Float64Array.of(1, 0, 0, 1), 2),
    ).toThrow(/^yPred must hold class indexes in \[0, 1\] \(got 2\)/);
    expect(() => classificationMetrics(y, y, Float64Array.of(1, 0, 0), 2)).toThrow(
      /^probabilities must hold 2 values/,
    );
    expect(() => classificationMetrics(y, y, Float64Array.of(1, 0, 0, 1.5), 2)).toThrow(
      "probabilities must lie in [0, 1] (got 1.5)",
    );
    expect(() => accuracy(new Int32Array(0), new Int32Array(0))).toThrow(
      /^yTrue must not be empty/,
    );
  });
});

describe("rocAuc", () => {
  it("is the share of positive–negative pairs ranked right, ties counting half", () => {
    const cases = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 4 })), {
        minLength: 2,
        maxLength: 30,
      })
      .filter((rows) => rows.some(([y]) => y === 1) && rows.some(([y]) => y === 0));
    fc.assert(
      fc.property(cases, (rows) => {
        const y = Int32Array.from(rows, ([label]) => label);
        const p = Float64Array.from(rows.flatMap(([, s]) => [1 - s / 4, s / 4]));
        let pairs = 0;
        let score = 0;
        for (const [yi, si] of rows) {
          for (const [yj, sj] of rows) {
            if (yi !== 1 || yj !== 0) continue;
            pairs++;
            score += si > sj ? 1 : si === sj ? 0.5 : 0;
          }
        }
        expect(rocAuc(y, p, 2)).toBeCloseTo(score / pairs, 12);
      }),
    );
  });

  it("is NaN when the true labels hold one class", () => {
    expect(rocAuc(Int32Array.of(1, 1), Float64Array.of(0.5, 0.5, 0.2, 0.8), 2)).toBeNaN();
  });
});
