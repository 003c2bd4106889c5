import { BoostedTreesPredictor } from "@mlops/models";
import { type FixtureModel, readDemoFixture } from "@mlops/models/test-support";
import fc from "fast-check";
import { RandomForestClassifier } from "ml-random-forest";
import { beforeAll, describe, expect, it } from "vitest";
import { ServingError } from "../errors.js";
import { loadClassifier } from "./classifier.js";

let champion: FixtureModel;
let challenger: FixtureModel;
beforeAll(async () => {
  [champion, challenger] = (await readDemoFixture()) as [FixtureModel, FixtureModel];
});

/** A row of the demo's five features. */
const row = fc.array(fc.double({ min: -4, max: 4, noNaN: true }), {
  minLength: 5,
  maxLength: 5,
});

describe("served classifier", () => {
  it("answers exactly as ml-random-forest does on the model training saved", () => {
    const served = loadClassifier(champion);
    expect(served).toMatchObject({ name: "classifier", version: 1, classes: ["0", "1"] });
    expect(served.featureNames).toEqual(["f0", "f1", "f2", "f3", "f4"]);
    const reference = RandomForestClassifier.load(JSON.parse(champion.model));
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const expected = reference.predict(rows);
        // Probabilities are the share of the library's own per-tree votes (its
        // predictProbability drops the first tree's vote; see ForestPredictor.predictProbabilities).
        const perTree = reference.predictionValues(rows).to2DArray() as number[][];
        const batch = served.classifyBatch(rows);
        rows.forEach((r, i) => {
          const one = served.classify(r);
          expect(one).toEqual(batch[i]);
          expect(one.prediction).toBe(served.classes[expected[i]!]);
          const share = perTree[i]!.filter((v) => v === 1).length / perTree[i]!.length;
          expect(one.probabilities["1"]).toBeCloseTo(share, 12);
        });
      }),
      { numRuns: 50 },
    );
  });

  it("answers as the packed boosted-trees predictor on the gbdt challenger training saved", () => {
    const served = loadClassifier(challenger);
    expect(served).toMatchObject({ name: "classifier", version: 2, algorithm: "gbdt" });
    expect(loadClassifier(champion).algorithm).toBe("forest");
    const reference = BoostedTreesPredictor.fromJSON(JSON.parse(challenger.model));
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const expected = reference.classify(Float64Array.from(rows.flat()));
        served.classifyBatch(rows).forEach((answer, i) => {
          expect(answer).toEqual(served.classify(rows[i]!));
          expect(answer.prediction).toBe(served.classes[expected.prediction[i]!]);
          expect(answer.probabilities["1"]).toBe(expected.probabilities[2 * i + 1]);
        });
      }),
      { numRuns: 50 },
    );
  });

  it("names the field and the rule when a row has the wrong length", () => {
    const served = loadClassifier(champion);
    expect(() => served.classify([1, 2, 3])).toThrow(ServingError);
    expect(() => served.classifyBatch([[1, 2, 3, 4, 5], [1]])).toThrow(
      "rows[1] must hold 5 numbers (f0, f1, f2, f3, f4), got 1",
    );
  });
});
