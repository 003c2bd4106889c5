/**
 * Predicting with a saved random forest: the trees packed for the serving path, with
 * ml-random-forest 2.1's votes, tie rule and routing.
 */
import { ModelFormatError } from "../errors.js";
import { type Classification, RowClassifier } from "../row-classifier.js";
import type { RandomForestJSON } from "./format.js";
import { PackedForest } from "./packed.js";
import { type FlatTree, treeFromJSON, treeVote } from "./tree.js";

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
    const { counts } = this;
    const shares = new Float64Array(counts.length);
    for (let k = 0; k < counts.length; k++) shares[k] = counts[k] / trees;
    return shares;
  }
}

/**
 * Predicts with a forest as ml-random-forest 2.1 does after `load`: same routing, same per-tree
 * votes (its `predictionValues`), same majority vote and tie rule. Probabilities are the share of
 * trees voting for each class; see `predictProbabilities` for why they are not the library's.
 */
export class ForestPredictor extends RowClassifier {
  private readonly packed: PackedForest;
  /** One row's votes, tree by tree: reused, as prediction is synchronous. */
  private readonly votes: Int32Array;

  private constructor(
    readonly trees: readonly FlatTree[],
    readonly nFeatures: number,
    readonly nClasses: number,
  ) {
    super();
    this.packed = new PackedForest(trees);
    this.votes = new Int32Array(trees.length);
  }

  /** A predictor over trees the learner produced. */
  static fromTrees(trees: readonly FlatTree[], nFeatures: number): ForestPredictor {
    if (trees.length === 0) throw new ModelFormatError("trees", "must hold at least one tree", 0);
    return new ForestPredictor(trees, nFeatures, trees[0].nClasses);
  }

  /**
   * A predictor over a saved model. `nClasses` sizes the probability rows (a forest does not
   * record it); `nFeatures` is the width of the rows it will be given.
   */
  static fromJSON(model: RandomForestJSON, nFeatures: number, nClasses: number): ForestPredictor {
    if (model?.name !== "RFClassifier" || !Array.isArray(model.baseModel?.estimators)) {
      throw new ModelFormatError(
        "model",
        'must be ml-random-forest JSON with name "RFClassifier"',
        model?.name,
      );
    }
    const { estimators, indexes } = model.baseModel;
    const trees = estimators.map((tree, t) => {
      if (!Array.isArray(indexes?.[t])) {
        throw new ModelFormatError(
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

  /** Majority-vote class of every row (ml-random-forest's `predict`), without the shares. */
  override predict(x: Float64Array): Int32Array {
    return this.tally(x).prediction;
  }

  /**
   * Majority-vote classes and class probabilities from one walk over the trees. The
   * probabilities, row-major `nRows × nClasses`, are the share of the trees voting for each
   * class, from the same per-tree votes as ml-random-forest's `predictionValues`.
   *
   * Not ml-random-forest 2.1's `predictProbability(x, k)`: that method folds the votes with a
   * `reduce` that has no initial value, so the first tree's vote (a class index) seeds the sum
   * as a number instead of counting as one vote. Its probabilities lose one tree in T (they sum
   * to about (T − 1)/T) and are skewed by the first tree's class. Training's metrics (log loss,
   * ROC AUC, Brier score), the served probabilities and the A/B log loss all use these shares.
   */
  classify(x: Float64Array): Classification {
    const tally = this.tally(x);
    return { prediction: tally.prediction, probabilities: tally.shares(this.trees.length) };
  }

  /** Row by row over the packed trees in order: no per-tree buffers on the serving path. */
  private tally(x: Float64Array): VoteTally {
    const nRows = this.rowCount(x);
    const tally = new VoteTally(nRows, this.nClasses);
    const { packed, nFeatures, votes } = this;
    for (let i = 0; i < nRows; i++) {
      packed.votes(x, i * nFeatures, votes);
      for (let t = 0; t < votes.length; t++) tally.vote(i, votes[t]);
    }
    return tally;
  }
}
