/**
 * Prediction with a boosted-trees model from one packed buffer. Prediction-side code: it imports
 * nothing of training (it moves to the model package with `model.ts` and `link.ts`).
 */
import { packTrees } from "../packed-trees.js";
import { scoreClass, scoreProbabilities } from "./link.js";
import { type GbdtModelJSON, type GbdtTreeJSON, parseGbdtModel } from "./model.js";

/** A model's trees in one buffer (the layout of `packTrees`); a leaf's float64 is its value. */
export class PackedBoostedTrees {
  private readonly number: Float64Array;
  private readonly link: Int32Array;
  private readonly roots: Int32Array;

  constructor(trees: readonly GbdtTreeJSON[]) {
    const packed = packTrees(trees, ({ number }, tree, node, at) => {
      number[2 * at] = tree.value[node];
    });
    this.number = packed.number;
    this.link = packed.link;
    this.roots = packed.roots;
  }

  /** Number of trees. */
  get size(): number {
    return this.roots.length;
  }

  /** Adds tree t's value to `scores[scoreBase + t mod width]`, for every tree. */
  addScores(x: Float64Array, base: number, width: number, scores: Float64Array, scoreBase: number) {
    const { number, link, roots } = this;
    for (let t = 0, k = 0; t < roots.length; t++) {
      let node = roots[t];
      let feature = link[4 * node + 2];
      while (feature >= 0) {
        node = x[base + feature] <= number[2 * node] ? node + 1 : link[4 * node + 3];
        feature = link[4 * node + 2];
      }
      scores[scoreBase + k] += number[2 * node];
      if (++k === width) k = 0;
    }
  }
}

/** Classes and probabilities from a boosted-trees model, for rows of `nFeatures` numbers. */
export class BoostedTreesPredictor {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Scores per row: 1 (binary) or `nClasses`. */
  readonly width: number;
  private readonly baseScore: Float64Array;
  private readonly packed: PackedBoostedTrees;

  private constructor(model: GbdtModelJSON) {
    this.nFeatures = model.nFeatures;
    this.nClasses = model.nClasses;
    this.width = model.baseScore.length;
    this.baseScore = Float64Array.from(model.baseScore);
    this.packed = new PackedBoostedTrees(model.trees);
  }

  /** A predictor over a model that may come from anywhere (a file): it is validated first. */
  static fromJSON(json: unknown): BoostedTreesPredictor {
    return new BoostedTreesPredictor(parseGbdtModel(json));
  }

  /** A predictor over a model this process just built (not validated again). */
  static fromModel(model: GbdtModelJSON): BoostedTreesPredictor {
    return new BoostedTreesPredictor(model);
  }

  /** Raw scores of every row of the row-major `x`, `width` per row. */
  rawScores(x: Float64Array): Float64Array {
    const nRows = this.rowCount(x);
    const { width, nFeatures, packed } = this;
    const scores = new Float64Array(nRows * width);
    for (let i = 0; i < nRows; i++) {
      scores.set(this.baseScore, i * width);
      packed.addScores(x, i * nFeatures, width, scores, i * width);
    }
    return scores;
  }

  /** Predicted class of every row (binary: class 1 iff its log-odds > 0; else the largest logit). */
  predict(x: Float64Array): Int32Array {
    return this.classify(x).prediction;
  }

  /** Class probabilities, row-major `nRows × nClasses`. */
  predictProbabilities(x: Float64Array): Float64Array {
    return this.classify(x).probabilities;
  }

  /** Classes and probabilities from one walk over the trees (what a server answers per request). */
  classify(x: Float64Array): {
    readonly prediction: Int32Array;
    readonly probabilities: Float64Array;
  } {
    const scores = this.rawScores(x);
    const { width, nClasses } = this;
    const nRows = scores.length / width;
    const prediction = new Int32Array(nRows);
    const probabilities = new Float64Array(nRows * nClasses);
    for (let i = 0; i < nRows; i++) {
      prediction[i] = scoreClass(scores, i * width, width);
      scoreProbabilities(scores, i * width, width, probabilities, i * nClasses);
    }
    return { prediction, probabilities };
  }

  private rowCount(x: Float64Array): number {
    if (x.length % this.nFeatures !== 0) {
      throw new RangeError(
        `x length must be a multiple of the ${this.nFeatures} features (got ${x.length})`,
      );
    }
    return x.length / this.nFeatures;
  }
}
