import { OptionError } from "../errors.js";
import type { TreeParams } from "./options.js";
import { PackedForest } from "./packed.js";
import { type CartNodeJSON, type FlatTree, treeFromJSON, treeToJSON, treeVote } from "./tree.js";

/** ml-cart 2.1's tree options as stored beside every tree (read back, but unused, by its loader). */
export interface CartOptionsJSON {
  gainFunction: "gini";
  splitFunction: "mean";
  minNumSamples: number;
  maxDepth: number | null;
  gainThreshold: number;
  kind: "classifier";
}

/** One serialized ml-cart `DecisionTreeClassifier`. */
export interface CartTreeJSON {
  name: "DTClassifier";
  options: CartOptionsJSON;
  root: CartNodeJSON;
}

/**
 * A serialized ml-random-forest 2.1 `RandomForestClassifier`: `RandomForestClassifier.load`
 * accepts it. Trees trained here see every feature (`indexes[t]` = 0..F−1) and draw features per
 * node instead, which the format permits because a tree records only the columns it splits on.
 */
export interface RandomForestJSON {
  name: "RFClassifier";
  baseModel: {
    indexes: number[][];
    n: number;
    replacement: boolean;
    maxFeatures: number;
    nEstimators: number;
    treeOptions: CartOptionsJSON;
    isClassifier: true;
    seed: number;
    estimators: CartTreeJSON[];
    useSampleBagging: boolean;
  };
}

/** Assembles trees into ml-random-forest's classifier JSON. */
export function forestToJSON(
  trees: readonly FlatTree[],
  nFeatures: number,
  params: TreeParams,
  seed: number,
): RandomForestJSON {
  const options: CartOptionsJSON = {
    gainFunction: "gini",
    splitFunction: "mean",
    minNumSamples: params.minSamplesSplit,
    maxDepth: Number.isFinite(params.maxDepth) ? params.maxDepth : null,
    gainThreshold: 0,
    kind: "classifier",
  };
  const allColumns = Array.from({ length: nFeatures }, (_, f) => f);
  return {
    name: "RFClassifier",
    baseModel: {
      indexes: trees.map(() => allColumns),
      n: nFeatures,
      replacement: false,
      maxFeatures: 1,
      nEstimators: trees.length,
      treeOptions: options,
      isClassifier: true,
      seed,
      estimators: trees.map((tree) => ({ name: "DTClassifier", options, root: treeToJSON(tree) })),
      useSampleBagging: params.bootstrap,
    },
  };
}

/**
 * Joins forests trained as shares of one forest (see `FitOptions.treeRange`), in the order given:
 * trees and their feature indexes are concatenated. The shares must agree on everything else
 * (features, tree options, seed, bagging); otherwise an {@link OptionError} names the share.
 */
export function mergeForests(parts: readonly RandomForestJSON[]): RandomForestJSON {
  if (parts.length === 0) throw new OptionError("parts", "must hold at least one forest", 0);
  const [head] = parts;
  const shared = (m: RandomForestJSON) =>
    JSON.stringify([
      m.name,
      m.baseModel.n,
      m.baseModel.treeOptions,
      m.baseModel.seed,
      m.baseModel.useSampleBagging,
    ]);
  parts.forEach((part, i) => {
    if (shared(part) !== shared(head)) {
      throw new OptionError(
        `parts[${i}]`,
        "must have the features, tree options, seed and bagging of parts[0]",
        i,
      );
    }
  });
  const estimators = parts.flatMap((p) => p.baseModel.estimators);
  return {
    name: "RFClassifier",
    baseModel: {
      ...head.baseModel,
      indexes: parts.flatMap((p) => p.baseModel.indexes),
      nEstimators: estimators.length,
      estimators,
    },
  };
}

/**
 * Per-row running vote counts over trees added one at a time, with ml-array-mode's tie rule: the
 * class that first reaches the largest count wins.
 */
export class VoteTally {
  private readonly counts: Int32Array;
  private readonly best: Int32Array;
  /** Current winning class of each row. */
  readonly prediction: Int32Array;

  constructor(
    readonly nRows: number,
    readonly nClasses: number,
  ) {
    this.counts = new Int32Array(nRows * nClasses);
    this.best = new Int32Array(nRows);
    this.prediction = new Int32Array(nRows);
  }

  /** Adds one tree's vote for each row. */
  add(votes: Int32Array): void {
    for (let i = 0; i < this.nRows; i++) this.vote(i, votes[i]);
  }

  /** Adds one vote for class `cls` on row `row` (a row's votes must arrive in tree order). */
  vote(row: number, cls: number): void {
    const c = ++this.counts[row * this.nClasses + cls];
    if (c > this.best[row]) {
      this.best[row] = c;
      this.prediction[row] = cls;
    }
  }

  /** Share of the `trees` votes each class got, row-major `nRows × nClasses`. */
  shares(trees: number): Float64Array {
    return Float64Array.from(this.counts, (c) => c / trees);
  }
}

/**
 * Predicts with a forest as ml-random-forest 2.1 does after `load`: same routing, same per-tree
 * votes (its `predictionValues`), same majority vote and tie rule. Probabilities are the share of
 * trees voting for each class; see `predictProbabilities` for why they are not the library's.
 */
export class ForestPredictor {
  private readonly packed: PackedForest;

  private constructor(
    readonly trees: readonly FlatTree[],
    readonly nFeatures: number,
    readonly nClasses: number,
  ) {
    this.packed = new PackedForest(trees);
  }

  /** A predictor over trees the learner produced. */
  static fromTrees(trees: readonly FlatTree[], nFeatures: number): ForestPredictor {
    if (trees.length === 0) throw new OptionError("trees", "must hold at least one tree", 0);
    return new ForestPredictor(trees, nFeatures, trees[0].nClasses);
  }

  /**
   * A predictor over a saved model. `nClasses` sizes the probability rows (a forest does not
   * record it); `nFeatures` is the width of the rows it will be given.
   */
  static fromJSON(model: RandomForestJSON, nFeatures: number, nClasses: number): ForestPredictor {
    if (model?.name !== "RFClassifier" || !Array.isArray(model.baseModel?.estimators)) {
      throw new OptionError(
        "model",
        'must be ml-random-forest JSON with name "RFClassifier"',
        model?.name,
      );
    }
    const { estimators, indexes } = model.baseModel;
    const trees = estimators.map((tree, t) => {
      if (!Array.isArray(indexes?.[t])) {
        throw new OptionError(
          `model.baseModel.indexes[${t}]`,
          "must list the tree's feature columns",
          indexes?.[t],
        );
      }
      return treeFromJSON(
        tree?.root,
        nClasses,
        indexes[t],
        `model.baseModel.estimators[${t}].root`,
      );
    });
    return ForestPredictor.fromTrees(trees, nFeatures);
  }

  /** Vote of one tree for every row of the row-major `x`. */
  treeVotes(tree: number, x: Float64Array): Int32Array {
    const nRows = this.rowCount(x);
    const votes = new Int32Array(nRows);
    for (let i = 0; i < nRows; i++) votes[i] = treeVote(this.trees[tree], x, i, this.nFeatures);
    return votes;
  }

  /** Majority-vote class of every row (ml-random-forest's `predict`). */
  predict(x: Float64Array): Int32Array {
    return this.tally(x).prediction;
  }

  /**
   * Classes and probabilities (see `predict` and `predictProbabilities`) from one walk over the
   * trees: what a server answers per request, at half the cost of asking for each.
   */
  classify(x: Float64Array): {
    readonly prediction: Int32Array;
    readonly probabilities: Float64Array;
  } {
    const tally = this.tally(x);
    return { prediction: tally.prediction, probabilities: tally.shares(this.trees.length) };
  }

  /** Row by row over the packed trees in order: no per-tree buffers on the serving path. */
  private tally(x: Float64Array): VoteTally {
    const nRows = this.rowCount(x);
    const tally = new VoteTally(nRows, this.nClasses);
    const { packed, nFeatures } = this;
    for (let i = 0; i < nRows; i++) {
      for (let t = 0; t < packed.size; t++) tally.vote(i, packed.vote(t, x, i * nFeatures));
    }
    return tally;
  }

  /**
   * Class probabilities, row-major `nRows × nClasses`: the share of the trees voting for each
   * class, from the same per-tree votes as ml-random-forest's `predictionValues`.
   *
   * Not ml-random-forest 2.1's `predictProbability(x, k)`: that method folds the votes with a
   * `reduce` that has no initial value, so the first tree's vote (a class index) seeds the sum
   * as a number instead of counting as one vote. Its probabilities lose one tree in T (they sum
   * to about (T − 1)/T) and are skewed by the first tree's class. Training's metrics (log loss,
   * ROC AUC, Brier score), the served probabilities and the A/B log loss all use these shares.
   */
  predictProbabilities(x: Float64Array): Float64Array {
    return this.tally(x).shares(this.trees.length);
  }

  private rowCount(x: Float64Array): number {
    if (x.length % this.nFeatures !== 0) {
      throw new OptionError(
        "x",
        `length must be a multiple of the ${this.nFeatures} features`,
        x.length,
      );
    }
    return x.length / this.nFeatures;
  }
}
