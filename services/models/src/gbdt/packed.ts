/**
 * Prediction with a boosted-trees model from one packed buffer. Prediction-side code: it imports
 * nothing of training (it moves to the model package with `model.ts` and `link.ts`).
 */
import { PackedTrees } from "../packed-trees.js";
import { type Classification, RowClassifier } from "../row-classifier.js";
import { scoreClass, scoreProbabilities } from "./link.js";
import { type GbdtModelJSON, type GbdtTreeJSON, parseGbdtModel } from "./model.js";

/** A model's trees in one buffer (`PackedTrees`); a leaf's float64 is its value. */
export class PackedBoostedTrees extends PackedTrees<GbdtTreeJSON> {
  constructor(trees: readonly GbdtTreeJSON[]) {
    super(trees, ({ number }, tree, node, at) => {
      number[2 * at] = tree.value[node];
    });
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
export class BoostedTreesPredictor extends RowClassifier {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Scores per row: 1 (binary) or `nClasses`. */
  readonly width: number;
  private readonly baseScore: Float64Array;
  private readonly packed: PackedBoostedTrees;

  private constructor(model: GbdtModelJSON) {
    super();
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

  /**
   * Classes and probabilities from one walk over the trees (what a server answers per request).
   * Binary: class 1 iff its log-odds > 0; else the class of the largest logit.
   */
  classify(x: Float64Array): Classification {
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
}
