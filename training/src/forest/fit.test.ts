import { readFileSync } from "node:fs";
import { Random } from "@mlops/garch/random";
import { type CartNodeJSON, ForestPredictor } from "@mlops/models";
import fc from "fast-check";
import { RandomForestClassifier } from "ml-random-forest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDataset, takeRows } from "../dataset.js";
import {
  type FitOptions,
  type FitResult,
  fitForest,
  type TrainingData,
  type TrainingProgress,
} from "./fit.js";
import { mergeForests } from "./merge.js";
import type { ForestOptions } from "./options.js";
import { createTrainingPool, type TrainingPool } from "./pool.js";

const demo = parseDataset(
  readFileSync(new URL("../../data/demo-classification.csv", import.meta.url)),
  {
    label: "label",
  },
);
const train = takeRows(demo, demo.split.train);
const test = takeRows(demo, demo.split.test);

/** Three Gaussian blobs in 4 dimensions (2 informative, 2 noise), seeded. */
function blobs(nPerClass: number, seed: number): TrainingData {
  const rng = new Random(seed);
  const normal = () => rng.standardNormal();
  const centers = [
    [0, 0],
    [3, 0],
    [0, 3],
  ];
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < nPerClass * 3; i++) {
    const k = i % 3;
    x.push(centers[k][0] + normal(), centers[k][1] + normal(), normal(), normal());
    y.push(k);
  }
  return {
    x: Float64Array.from(x),
    y: Int32Array.from(y),
    nFeatures: 4,
    classNames: ["red", "green", "blue"],
  };
}

function rowsOf(x: Float64Array, nFeatures: number): number[][] {
  return Array.from({ length: x.length / nFeatures }, (_, i) =>
    Array.from(x.subarray(i * nFeatures, (i + 1) * nFeatures)),
  );
}

/**
 * ml-random-forest's own predictions after loading the saved JSON, and the vote shares of its own
 * per-tree outputs (`predictionValues`, rows × trees).
 */
function viaLoad(result: FitResult, x: Float64Array, nFeatures: number, nClasses: number) {
  const loaded = RandomForestClassifier.load(JSON.parse(JSON.stringify(result.model)));
  const rows = rowsOf(x, nFeatures);
  const perTree = loaded.predictionValues(rows).to2DArray() as number[][];
  const probabilities = new Float64Array(rows.length * nClasses);
  perTree.forEach((votes, i) => {
    for (const v of votes) probabilities[i * nClasses + v]++;
    for (let k = 0; k < nClasses; k++) probabilities[i * nClasses + k] /= votes.length;
  });
  return { predictions: Int32Array.from(loaded.predict(rows)), probabilities, loaded, rows };
}

/** Fits `nEstimators` trees, reporting every 5, and aborts once 10 are done. */
function fitStoppedAtTen(
  data: TrainingData,
  nEstimators: number,
  fit: FitOptions = {},
): Promise<FitResult> {
  const controller = new AbortController();
  return fitForest(
    data,
    { nEstimators },
    {
      ...fit,
      progressEvery: 5,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.treesDone >= 10) controller.abort();
      },
    },
  );
}

function accuracy(predicted: Int32Array, y: Int32Array): number {
  return predicted.filter((p, i) => p === y[i]).length / y.length;
}

function depthAndLeaves(node: CartNodeJSON, depth = 0): { depth: number; leaves: number[][] } {
  if ("distribution" in node) return { depth, leaves: [node.distribution[0]] };
  const l = depthAndLeaves(node.left, depth + 1);
  const r = depthAndLeaves(node.right, depth + 1);
  return { depth: Math.max(l.depth, r.depth), leaves: [...l.leaves, ...r.leaves] };
}

describe("fitForest on the demo split", () => {
  let forest: FitResult;
  beforeAll(async () => {
    forest = await fitForest(train, { nEstimators: 100, seed: 1 });
  });

  it("reaches scikit-learn's accuracy (0.9615) within 0.01", () => {
    expect(forest.nTrees).toBe(100);
    expect(accuracy(forest.predictor.predict(test.x), test.y)).toBeGreaterThanOrEqual(0.9515);
  });

  it("saves a model that ml-random-forest loads and predicts with exactly as it does", () => {
    const loaded = viaLoad(forest, test.x, 5, 2);
    expect(loaded.predictions).toEqual(forest.predictor.predict(test.x));
    expect(loaded.probabilities).toEqual(forest.predictor.predictProbabilities(test.x));
  });

  it("gives probabilities that count every tree, unlike ml-random-forest's predictProbability", () => {
    const { loaded, rows } = viaLoad(forest, test.x, 5, 2);
    const ours = forest.predictor.predictProbabilities(test.x);
    for (let i = 0; i < rows.length; i++) expect(ours[2 * i] + ours[2 * i + 1]).toBeCloseTo(1, 12);
    // The library's sums lose one tree in a hundred: its reduce has no initial value.
    const theirs = [0, 1].map((k) => loaded.predictProbability(rows, k) as number[]);
    const sums = rows.map((_, i) => theirs[0]![i]! + theirs[1]![i]!);
    expect(Math.max(...sums)).toBeLessThan(0.995);
  });

  it("classifies in one walk exactly as predict and predictProbabilities do", () => {
    const both = forest.predictor.classify(test.x);
    expect(both.prediction).toEqual(forest.predictor.predict(test.x));
    expect(both.probabilities).toEqual(forest.predictor.predictProbabilities(test.x));
  });

  it("reads a saved model back into the same predictions", () => {
    const again = ForestPredictor.fromJSON(JSON.parse(JSON.stringify(forest.model)), 5, 2);
    expect(again.predictProbabilities(test.x)).toEqual(
      forest.predictor.predictProbabilities(test.x),
    );
  });
});

describe("worker threads", () => {
  let pool: TrainingPool;
  beforeAll(() => {
    pool = createTrainingPool(2);
  });
  afterAll(() => pool.close());

  it("give byte-identical model JSON for the same seed with 1 or 2 threads", async () => {
    const options: ForestOptions = { nEstimators: 12, seed: 9, maxFeatures: "sqrt" };
    const one = await fitForest(train, options, { threads: 1 });
    const two = await fitForest(train, options, { pool, progressEvery: 5, onProgress: () => {} });
    expect(JSON.stringify(two.model)).toBe(JSON.stringify(one.model));
    const other = await fitForest(train, { ...options, seed: 10 }, { threads: 1 });
    expect(JSON.stringify(other.model)).not.toBe(JSON.stringify(one.model));
  });

  it("stop early when told, and the pool keeps working afterwards", async () => {
    const small = takeRows(demo, demo.split.train.subarray(0, 2000));
    const result = await fitStoppedAtTen(small, 200, { pool });
    expect(result.stoppedEarly).toBe(true);
    expect(result.nTrees).toBe(10);
    const again = await fitForest(small, { nEstimators: 4 }, { pool });
    expect(again.nTrees).toBe(4);
  });

  it("start their own pool when given a thread count", async () => {
    const small = takeRows(demo, demo.split.train.subarray(0, 500));
    const one = await fitForest(small, { nEstimators: 4 }, { threads: 1 });
    const two = await fitForest(small, { nEstimators: 4 }, { threads: 2 });
    expect(JSON.stringify(two.model)).toBe(JSON.stringify(one.model));
  });
});

describe("multiclass", () => {
  it("learns three classes and agrees with ml-random-forest on probabilities", async () => {
    const fitOn = blobs(150, 3);
    const holdOut = blobs(100, 4);
    const result = await fitForest(fitOn, { nEstimators: 30, maxFeatures: 0.5 });
    const predicted = result.predictor.predict(holdOut.x);
    expect(accuracy(predicted, holdOut.y)).toBeGreaterThan(0.85);
    const loaded = viaLoad(result, holdOut.x, 4, 3);
    expect(loaded.predictions).toEqual(predicted);
    expect(loaded.probabilities).toEqual(result.predictor.predictProbabilities(holdOut.x));
  });
});

describe("the tree learner", () => {
  // Values with ties and neighbouring doubles, so thresholds must fall strictly between them.
  const value = fc.constantFrom(0, 1, 1 + 2 ** -52, 2, -3.5, 1e300, -1e-300, 7);
  const dataset = fc.integer({ min: 1, max: 3 }).chain((nFeatures) =>
    fc.record({
      nFeatures: fc.constant(nFeatures),
      rows: fc.array(
        fc.record({
          x: fc.array(value, { minLength: nFeatures, maxLength: nFeatures }),
          y: fc.integer({ min: 0, max: 2 }),
        }),
        { minLength: 2, maxLength: 40 },
      ),
    }),
  );
  const toData = ({
    nFeatures,
    rows,
  }: {
    nFeatures: number;
    rows: { x: number[]; y: number }[];
  }): TrainingData => ({
    x: Float64Array.from(rows.flatMap((r) => r.x)),
    y: Int32Array.from(rows, (r) => r.y),
    nFeatures,
    classNames: ["a", "b", "c"],
  });

  it("routes every row as ml-random-forest does, whatever the data and options", async () => {
    const options = fc.record({
      nEstimators: fc.integer({ min: 1, max: 4 }),
      maxFeatures: fc.constantFrom<ForestOptions["maxFeatures"]>("sqrt", "all", 1, 0.5),
      maxDepth: fc.constantFrom(null, 1, 3),
      minSamplesLeaf: fc.integer({ min: 1, max: 3 }),
      bootstrap: fc.boolean(),
      seed: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(dataset, options, async (raw, opts) => {
        const data = toData(raw);
        const result = await fitForest(data, opts);
        const loaded = viaLoad(result, data.x, raw.nFeatures, 3);
        expect(loaded.predictions).toEqual(result.predictor.predict(data.x));
        expect(loaded.probabilities).toEqual(result.predictor.predictProbabilities(data.x));
      }),
      { numRuns: 60 },
    );
  });

  it("separates every training row when grown fully on distinct rows", async () => {
    await fc.assert(
      fc.asyncProperty(dataset, async (raw) => {
        const seen = new Map<string, number>();
        const rows = raw.rows.filter((r) => {
          const key = r.x.join();
          if (seen.has(key)) return false;
          seen.set(key, r.y);
          return true;
        });
        const data = toData({ ...raw, rows });
        const result = await fitForest(data, {
          nEstimators: 1,
          bootstrap: false,
          maxFeatures: "all",
        });
        expect(result.predictor.predict(data.x)).toEqual(data.y);
      }),
      { numRuns: 100 },
    );
  });

  it("respects maxDepth and minSamplesLeaf", async () => {
    const result = await fitForest(takeRows(demo, demo.split.train.subarray(0, 800)), {
      nEstimators: 3,
      maxDepth: 4,
      minSamplesLeaf: 20,
      bootstrap: false,
    });
    for (const tree of result.model.baseModel.estimators) {
      expect(depthAndLeaves(tree.root).depth).toBeLessThanOrEqual(4);
      const counts: number[] = [];
      const collect = (node: CartNodeJSON): void => {
        if ("distribution" in node) return;
        for (const child of [node.left, node.right]) {
          if ("distribution" in child) counts.push(node.numberSamples);
          else collect(child);
        }
      };
      collect(tree.root);
      // A split node holds ≥ 2 × minSamplesLeaf rows.
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(40);
    }
  });

  it("weights classes in the leaves", async () => {
    // One constant feature: no split is possible, so the root is a leaf of weighted class shares.
    const data: TrainingData = {
      x: Float64Array.of(1, 1, 1, 1),
      y: Int32Array.of(0, 0, 0, 1),
      nFeatures: 1,
      classNames: ["no", "yes"],
    };
    const leaf = async (options: ForestOptions) =>
      depthAndLeaves(
        (await fitForest(data, { nEstimators: 1, bootstrap: false, ...options })).model.baseModel
          .estimators[0].root,
      ).leaves;
    expect(await leaf({})).toEqual([[0.75, 0.25]]);
    expect(await leaf({ classWeight: "balanced" })).toEqual([[0.5, 0.5]]);
    expect(await leaf({ classWeight: { yes: 9 } })).toEqual([[0.25, 0.75]]);
  });
});

describe("progress and early stopping", () => {
  const small = takeRows(demo, demo.split.train.subarray(0, 1500));

  it("reports validation accuracy every k trees, ending with the final forest's", async () => {
    const reports: TrainingProgress[] = [];
    const result = await fitForest(
      small,
      { nEstimators: 12 },
      {
        validation: test,
        progressEvery: 5,
        onProgress: (p) => reports.push(p),
      },
    );
    expect(reports.map((p) => p.treesDone)).toEqual([5, 10, 12]);
    expect(reports.at(-1)?.validationAccuracy).toBe(
      accuracy(result.predictor.predict(test.x), test.y),
    );
  });

  it("stops when told, keeping the trees finished so far", async () => {
    const result = await fitStoppedAtTen(small, 40);
    expect(result.stoppedEarly).toBe(true);
    expect(result.nTrees).toBe(10);
    expect(
      RandomForestClassifier.load(JSON.parse(JSON.stringify(result.model))).predict(
        rowsOf(test.x.subarray(0, 50), 5),
      ),
    ).toHaveLength(10);
  });

  it("rejects with the abort reason when stopped before any tree", async () => {
    await expect(
      fitForest(small, {}, { signal: AbortSignal.abort(new Error("cancelled")) }),
    ).rejects.toThrow("cancelled");
  });

  it("validates its fit options", async () => {
    await expect(fitForest(small, {}, { threads: 0 })).rejects.toThrow(
      "threads must be an integer in [1, 64] (got 0)",
    );
    // A thread is an isolate of its own: a thousand of them ran the process out of memory.
    await expect(fitForest(small, {}, { threads: 1000 })).rejects.toThrow(
      "threads must be an integer in [1, 64] (got 1000)",
    );
    await expect(fitForest(small, {}, { progressEvery: 0 })).rejects.toThrow(/^progressEvery/);
    await expect(fitForest({ ...small, y: small.y.map(() => 5) }, {})).rejects.toThrow(
      "data.y must hold class indexes in [0, 1] (got 5)",
    );
  });
});

describe("forests trained in shares", () => {
  const rows = takeRows(demo, demo.split.train.subarray(0, 1000));

  it("merge into the whole forest, byte for byte", async () => {
    const options: ForestOptions = { nEstimators: 12, seed: 4 };
    const whole = await fitForest(rows, options);
    const first = await fitForest(rows, options, { treeRange: { from: 0, to: 5 } });
    const second = await fitForest(rows, options, { treeRange: { from: 5, to: 12 }, threads: 2 });
    expect(first.nTrees).toBe(5);
    expect(JSON.stringify(mergeForests([first.model, second.model]))).toBe(
      JSON.stringify(whole.model),
    );
  });

  it("refuse shares of different forests and bad ranges", async () => {
    const a = await fitForest(rows, { nEstimators: 2, seed: 1 });
    const b = await fitForest(rows, { nEstimators: 2, seed: 2 });
    expect(() => mergeForests([a.model, b.model])).toThrow(
      /^parts\[1\] must have the features, tree options, seed/,
    );
    await expect(
      fitForest(rows, { nEstimators: 4 }, { treeRange: { from: 3, to: 3 } }),
    ).rejects.toThrow(/^treeRange must satisfy 0 ≤ from < to ≤ nEstimators \(4\)/);
  });
});
