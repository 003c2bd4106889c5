import { Random } from "@mlops/garch/random";
import { BoostedTreesPredictor, type GbdtTreeJSON, parseGbdtModel } from "@mlops/models";
import { describe, expect, it } from "vitest";
import { OptionError } from "../errors.js";
import type { TrainingData } from "../forest/fit.js";
import { type BoostingProgress, fitGbdt } from "./fit.js";
import { PARALLEL_MIN_WORK, workersFor } from "./threads.js";

/** `n` rows of `nFeatures` uniform features in [−1, 1); `label` decides each row's class. */
function dataset(
  n: number,
  nFeatures: number,
  seed: number,
  label: (row: Float64Array, rng: Random) => number,
  nClasses = 2,
): TrainingData {
  const rng = new Random(seed);
  const x = new Float64Array(n * nFeatures);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * nFeatures, (i + 1) * nFeatures);
    for (let f = 0; f < nFeatures; f++) row[f] = rng.nextFloat() * 2 - 1;
    y[i] = label(row, rng);
  }
  return { x, y, nFeatures, classNames: Array.from({ length: nClasses }, (_, k) => `c${k}`) };
}

const separable = (row: Float64Array) => (row[0] > 0.3 ? 1 : 0);
/** The separable rule with a fifth of the labels flipped: 0.8 is the best accuracy possible. */
const noisy = (row: Float64Array, rng: Random) => separable(row) ^ (rng.nextFloat() < 0.2 ? 1 : 0);
/** Three classes by angle around the origin, over the first two features. */
const sectors = (row: Float64Array) =>
  Math.floor(((Math.atan2(row[1], row[0]) + Math.PI) / (2 * Math.PI)) * 3) % 3;

function accuracy(predictor: BoostedTreesPredictor, data: TrainingData): number {
  const predicted = predictor.predict(data.x);
  return predicted.filter((k, i) => k === data.y[i]).length / data.y.length;
}

function rejection(run: () => Promise<unknown>): Promise<OptionError> {
  return run().then(
    () => {
      throw new Error("accepted");
    },
    (error: unknown) => {
      if (error instanceof OptionError) return error;
      throw error;
    },
  );
}

/** Depth of a tree (a lone leaf is 0). */
function depth(tree: GbdtTreeJSON, node = 0): number {
  if (tree.feature[node] < 0) return 0;
  return 1 + Math.max(depth(tree, tree.left[node]), depth(tree, tree.right[node]));
}

/** Training rows per leaf of a tree, by walking the rows. */
function leafCounts(tree: GbdtTreeJSON, data: TrainingData): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < data.y.length; i++) {
    let node = 0;
    while (tree.feature[node] >= 0) {
      const v = data.x[i * data.nFeatures + tree.feature[node]];
      node = v <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    }
    counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  return [...counts.values()];
}

describe("fitGbdt", () => {
  it("learns a separable boundary exactly", async () => {
    const train = dataset(600, 3, 1, separable);
    const { predictor, model, nRounds, stoppedBy } = await fitGbdt(train, { nEstimators: 50 });
    expect(accuracy(predictor, train)).toBe(1);
    expect(accuracy(predictor, dataset(2000, 3, 2, separable))).toBeGreaterThan(0.99);
    expect([nRounds, model.trees.length, stoppedBy]).toEqual([50, 50, null]);
    expect(model.objective).toBe("binary_logloss");
  });

  it("on noisy labels gets close to the best accuracy possible (0.8)", async () => {
    const { predictor } = await fitGbdt(dataset(3000, 3, 3, noisy));
    const held = accuracy(predictor, dataset(4000, 3, 4, noisy));
    expect(held).toBeGreaterThan(0.76);
    expect(held).toBeLessThan(0.84);
  });

  it("fits more than two classes with softmax, one tree per class and round", async () => {
    const train = dataset(1500, 3, 5, sectors, 3);
    const { model, predictor } = await fitGbdt(train, { nEstimators: 40 });
    expect(model.objective).toBe("multiclass_softmax");
    expect(model.baseScore).toHaveLength(3);
    expect(model.trees).toHaveLength(120);
    const test = dataset(2000, 3, 6, sectors, 3);
    expect(accuracy(predictor, test)).toBeGreaterThan(0.93);
    const p = predictor.predictProbabilities(test.x);
    for (let i = 0; i < 3 * 50; i += 3) expect(p[i] + p[i + 1] + p[i + 2]).toBeCloseTo(1, 12);
  });

  it("starts from the training classes' log-odds or log shares", async () => {
    const train = dataset(400, 2, 7, separable);
    const ones = train.y.reduce((a, b) => a + b, 0);
    const { model } = await fitGbdt(train, { nEstimators: 1 });
    expect(model.baseScore[0]).toBeCloseTo(Math.log(ones / (400 - ones)), 12);
    const three = dataset(300, 2, 7, sectors, 3);
    const { model: multi } = await fitGbdt(three, { nEstimators: 1 });
    multi.baseScore.forEach((s, k) => {
      expect(s).toBeCloseTo(Math.log(three.y.filter((c) => c === k).length / 300), 12);
    });
  });

  it("writes JSON that parses back into the same predictions", async () => {
    const train = dataset(500, 4, 8, sectors, 3);
    const { model, predictor } = await fitGbdt(train, { nEstimators: 10 });
    const json = JSON.parse(JSON.stringify(model));
    expect(json).toMatchObject({ kind: "gbdt", formatVersion: 1 });
    const loaded = BoostedTreesPredictor.fromJSON(parseGbdtModel(json));
    expect(loaded.predictProbabilities(train.x)).toEqual(predictor.predictProbabilities(train.x));
  });

  it("reports the validation loss and accuracy after every round, in order", async () => {
    const validation = dataset(500, 3, 10, noisy);
    const reports: BoostingProgress[] = [];
    const { history } = await fitGbdt(
      dataset(1000, 3, 9, noisy),
      { nEstimators: 12 },
      { validation, onProgress: (p) => reports.push(p), progressEvery: 5 },
    );
    expect(history?.loss).toHaveLength(12);
    expect(reports.map((r) => r.round)).toEqual([5, 10, 12]);
    expect(reports[1]).toEqual({
      round: 10,
      nEstimators: 12,
      validationLoss: history!.loss[9],
      validationAccuracy: history!.accuracy[9],
    });
    expect(history!.loss[11]).toBeLessThan(history!.loss[0]);
  });

  it("stops early once the validation loss stalls, and keeps the best round", async () => {
    const train = dataset(2000, 3, 11, noisy);
    const fit = await fitGbdt(train, {
      earlyStopping: true,
      learningRate: 0.5,
      nIterNoChange: 5,
      minSamplesLeaf: 2,
    });
    expect(fit.stoppedBy).toBe("earlyStopping");
    expect(fit.roundsTrained).toBe(fit.nRounds + 5);
    expect(fit.model.trees).toHaveLength(fit.nRounds);
    const losses = fit.history!.loss;
    expect(losses).toHaveLength(fit.roundsTrained);
    expect(Math.min(...losses)).toBe(losses[fit.nRounds - 1]);
    // The held-out share is a tenth of each class: the fit's starting score comes from the rest.
    const ones = train.y.reduce((a, b) => a + b, 0);
    expect(fit.model.baseScore[0]).not.toBeCloseTo(Math.log(ones / (2000 - ones)), 12);
  });

  it("stops early on the fit's validation rows when it is given them", async () => {
    const validation = dataset(600, 3, 13, noisy);
    const fit = await fitGbdt(
      dataset(2000, 3, 12, noisy),
      { earlyStopping: true, learningRate: 0.5, nIterNoChange: 3, minSamplesLeaf: 2 },
      { validation },
    );
    expect(fit.stoppedBy).toBe("earlyStopping");
    const reloaded = BoostedTreesPredictor.fromModel(fit.model);
    const { loss } = fit.history!;
    expect(loss[fit.nRounds - 1]).toBe(Math.min(...loss));
    expect(accuracy(reloaded, validation)).toBe(fit.history!.accuracy[fit.nRounds - 1]);
  });

  it("is byte-identical for any thread count (histograms spread over workers)", async () => {
    const binary = dataset(20_000, 8, 14, noisy);
    expect(binary.y.length * binary.nFeatures).toBeGreaterThanOrEqual(PARALLEL_MIN_WORK);
    const options = { nEstimators: 4, subsample: 0.8, colsampleByTree: 0.75, seed: 3 };
    const one = JSON.stringify((await fitGbdt(binary, options)).model);
    expect(JSON.stringify((await fitGbdt(binary, options, { threads: 2 })).model)).toBe(one);
    expect(JSON.stringify((await fitGbdt(binary, options, { threads: 3 })).model)).toBe(one);
    const multi = dataset(20_000, 8, 15, sectors, 3);
    const three = { nEstimators: 2, growth: "depthwise", maxDepth: 4 } as const;
    expect(JSON.stringify((await fitGbdt(multi, three, { threads: 2 })).model)).toBe(
      JSON.stringify((await fitGbdt(multi, three)).model),
    );
  }, 60_000);

  it("starts no worker for data too small to spread, and fits the same", async () => {
    const small = dataset(500, 4, 29, noisy);
    expect(workersFor(4, small.y.length, small.nFeatures)).toBe(0);
    expect(workersFor(4, PARALLEL_MIN_WORK, 1)).toBe(3);
    expect(workersFor(1, PARALLEL_MIN_WORK, 8)).toBe(0);
    const one = JSON.stringify((await fitGbdt(small, { nEstimators: 3 })).model);
    expect(JSON.stringify((await fitGbdt(small, { nEstimators: 3 }, { threads: 4 })).model)).toBe(
      one,
    );
  });

  it("draws rows and features from the seed", async () => {
    const train = dataset(800, 6, 16, noisy);
    const options = { nEstimators: 5, subsample: 0.5, colsampleByTree: 0.5 };
    const a = JSON.stringify((await fitGbdt(train, { ...options, seed: 1 })).model);
    expect(JSON.stringify((await fitGbdt(train, { ...options, seed: 1 })).model)).toBe(a);
    expect(JSON.stringify((await fitGbdt(train, { ...options, seed: 2 })).model)).not.toBe(a);
    // Half the features per tree: no tree splits on more than 3 of the 6.
    const { model } = await fitGbdt(train, { ...options, seed: 1 });
    for (const tree of model.trees) {
      expect(new Set(tree.feature.filter((f) => f >= 0)).size).toBeLessThanOrEqual(3);
    }
  });

  it("grows depth-wise level by level and leaf-wise where the gain is", async () => {
    const train = dataset(3000, 4, 17, noisy);
    const options = { nEstimators: 3, maxLeafNodes: 8, minSamplesLeaf: 5 };
    const levels = await fitGbdt(train, { ...options, growth: "depthwise" });
    const best = await fitGbdt(train, { ...options, growth: "leafwise" });
    for (const tree of levels.model.trees) {
      // Every node here can split: 8 leaves level by level are the full tree of depth 3.
      expect(depth(tree)).toBe(3);
      expect(tree.feature.filter((f) => f < 0)).toHaveLength(8);
    }
    expect(Math.max(...best.model.trees.map((tree) => depth(tree)))).toBeGreaterThan(3);
  });

  it("keeps to maxDepth, maxLeafNodes and minSamplesLeaf", async () => {
    const train = dataset(2000, 4, 18, sectors, 3);
    const deep = await fitGbdt(train, { nEstimators: 3, maxDepth: 2, maxLeafNodes: null });
    for (const tree of deep.model.trees) expect(depth(tree)).toBeLessThanOrEqual(2);
    const wide = await fitGbdt(train, { nEstimators: 3, maxLeafNodes: 5, minSamplesLeaf: 60 });
    for (const tree of wide.model.trees) {
      expect(tree.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(5);
      for (const count of leafCounts(tree, train)) expect(count).toBeGreaterThanOrEqual(60);
    }
  });

  it("shrinks leaf values by the learning rate and the L2 penalty", async () => {
    const train = dataset(1000, 3, 18, noisy);
    const values = async (options: object) =>
      (await fitGbdt(train, { nEstimators: 1, ...options })).model.trees[0].value;
    const base = await values({ learningRate: 0.1 });
    (await values({ learningRate: 0.2 })).forEach((v, i) => {
      expect(v).toBeCloseTo(2 * base[i], 12);
    });
    const penalised = await values({ learningRate: 0.1, l2Regularization: 100 });
    const largest = (vs: number[]) => Math.max(...vs.map(Math.abs));
    expect(largest(penalised)).toBeLessThan(largest(base));
  });

  it("keeps the prior when no feature varies: every tree a single leaf", async () => {
    const train = dataset(300, 2, 19, (_row, rng) => (rng.nextFloat() < 0.25 ? 1 : 0));
    train.x.fill(4.2);
    const { model, predictor } = await fitGbdt(train, { nEstimators: 5 });
    for (const tree of model.trees) expect(tree.feature).toEqual([-1]);
    const ones = train.y.reduce((a, b) => a + b, 0);
    expect(predictor.predictProbabilities(train.x.subarray(0, 2))[1]).toBeCloseTo(ones / 300, 3);
  });

  it("stops between rounds when its signal aborts", async () => {
    const controller = new AbortController();
    const fit = await fitGbdt(
      dataset(500, 3, 20, noisy),
      {},
      { signal: controller.signal, onProgress: (p) => p.round === 3 && controller.abort() },
    );
    expect([fit.nRounds, fit.stoppedBy, fit.model.trees.length]).toEqual([3, "signal", 3]);
    await expect(
      fitGbdt(dataset(50, 3, 20, noisy), {}, { signal: AbortSignal.abort(new Error("stop")) }),
    ).rejects.toThrow("stop");
  });

  it.each<[string, () => Promise<unknown>, string, RegExp]>([
    [
      "a NaN feature",
      () => {
        const d = dataset(50, 3, 21, separable);
        d.x[3 * 7 + 2] = Number.NaN;
        return fitGbdt(d);
      },
      "data.x",
      /must hold finite numbers: row 7, feature 2 \(got NaN\)/,
    ],
    [
      "an infinite validation feature",
      () => {
        const v = dataset(20, 3, 22, separable);
        v.x[0] = Number.POSITIVE_INFINITY;
        return fitGbdt(dataset(50, 3, 21, separable), {}, { validation: v });
      },
      "validation.x",
      /row 0, feature 0 \(got Infinity\)/,
    ],
    [
      "a single class",
      () => fitGbdt(dataset(50, 3, 23, () => 1)),
      "data.y",
      /at least 2 distinct classes/,
    ],
    [
      "one class name",
      () => fitGbdt({ ...dataset(50, 3, 24, () => 0), classNames: ["only"] }),
      "classNames",
      /at least 2 classes/,
    ],
    [
      "a label past the classes",
      () => fitGbdt(dataset(50, 3, 25, () => 2)),
      "data.y",
      /class indexes/,
    ],
    [
      "a bad hyperparameter",
      () => fitGbdt(dataset(50, 3, 26, separable), { maxBins: 1 }),
      "maxBins",
      /\[2, 255\]/,
    ],
    [
      "zero threads",
      () => fitGbdt(dataset(50, 3, 27, separable), {}, { threads: 0 }),
      "threads",
      /in \[1, 64\]/,
    ],
    [
      "more threads than MAX_THREADS",
      () => fitGbdt(dataset(50, 3, 27, separable), {}, { threads: 65 }),
      "threads",
      /in \[1, 64\]/,
    ],
    [
      "early stopping without rows of a class to hold out",
      () => {
        const d = dataset(50, 3, 28, separable);
        d.y.fill(0);
        d.y[0] = 1;
        return fitGbdt(d, { earlyStopping: true });
      },
      "earlyStopping",
      /validation share of every class/,
    ],
  ])("rejects %s, naming the field", async (_, run, option, message) => {
    const error = await rejection(run);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });
});
