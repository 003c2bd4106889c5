import fc from "fast-check";
import { RandomForestClassifier } from "ml-random-forest";
import { beforeAll, describe, expect, it } from "vitest";
import { type FixtureModel, readDemoFixture } from "../../test-support/index.js";
import type { RandomForestJSON } from "./format.js";
import { loadForest } from "./load.js";
import { ForestPredictor } from "./predictor.js";

let forests: FixtureModel[];
beforeAll(async () => {
  forests = (await readDemoFixture()).filter((m) => m.manifest.algorithm === "forest");
});

const row = fc.array(fc.double({ min: -4, max: 4, noNaN: true }), {
  minLength: 5,
  maxLength: 5,
});

describe("ForestPredictor on forests training saved", () => {
  it("votes, breaks ties and shares probabilities as ml-random-forest 2.1 does", () => {
    for (const forest of forests) {
      const { predictor } = loadForest(forest);
      const reference = RandomForestClassifier.load(JSON.parse(forest.model));
      fc.assert(
        fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
          const x = Float64Array.from(rows.flat());
          const { prediction, probabilities } = predictor.classify(x);
          expect(Array.from(prediction)).toEqual(reference.predict(rows));
          expect(predictor.predict(x)).toEqual(prediction);
          expect(predictor.predictProbabilities(x)).toEqual(probabilities);
          // The share of the library's own per-tree votes (its predictProbability drops the
          // first tree's vote; see ForestPredictor.predictProbabilities).
          const perTree = reference.predictionValues(rows).to2DArray() as number[][];
          perTree.forEach((votes, i) => {
            const share = votes.filter((v) => v === 1).length / votes.length;
            expect(probabilities[2 * i + 1]).toBe(share);
          });
        }),
        { numRuns: 50 },
      );
    }
  });

  it("names the malformed part of a saved model", () => {
    const broken = JSON.parse(forests[0]!.model) as RandomForestJSON;
    (broken.baseModel.estimators[1]!.root as { left: unknown }).left = {
      splitColumn: 7,
      splitValue: 0,
    };
    expect(() => ForestPredictor.fromJSON(broken, 5, 2)).toThrow(
      "model.baseModel.estimators[1].root.left splitColumn must be an integer in [0, 4] (got 7)",
    );
    broken.baseModel.indexes = [];
    expect(() => ForestPredictor.fromJSON(broken, 5, 2)).toThrow(
      /^model.baseModel.indexes\[0\] must list/,
    );
    expect(() => ForestPredictor.fromJSON({ name: "DTClassifier" } as never, 5, 2)).toThrow(
      /^model must be ml-random-forest JSON/,
    );
  });

  it("refuses rows of the wrong width and a forest without trees", () => {
    const { predictor } = loadForest(forests[0]!);
    expect(() => predictor.predict(new Float64Array(7))).toThrow(
      "x length must be a multiple of the 5 features (got 7)",
    );
    expect(() => ForestPredictor.fromTrees([], 5)).toThrow("trees must hold at least one tree");
  });
});

describe("loadForest", () => {
  it("refuses an artifact of another kind", async () => {
    const garch = (await readDemoFixture()).find((m) => m.manifest.kind === "garch")!;
    expect(() => loadForest(garch)).toThrow("model dem2gbp@1 is not a classifier");
  });
});
