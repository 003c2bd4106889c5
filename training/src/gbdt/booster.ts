/**
 * The state of a boosting fit between rounds: binned training rows, their scores and gradients,
 * the trees so far, and the scores of the rows the fit is validated on.
 */

import { deriveSeed, Random } from "@mlops/garch/random";
import {
  GBDT_FORMAT_VERSION,
  GBDT_MODEL_KIND,
  type GbdtModelJSON,
  type GbdtObjective,
} from "@mlops/models";
import type { LabeledRows } from "../forest/fit.js";
import { type BinIndexes, binRows, type FeatureBins, fitBins, transposeBins } from "./binning.js";
import {
  type BinnedTree,
  type GrowContext,
  growTree,
  type HistogramBuilder,
  HistogramPool,
} from "./grow.js";
import { HIST_STRIDE, type HistogramInputs } from "./histogram.js";
import {
  baseScore,
  computeGradients,
  evaluateScores,
  objectiveFor,
  scoreWidth,
} from "./objective.js";
import type { GbdtParams } from "./options.js";

/** Rows scored after every round, binned like the training rows. */
interface ScoredRows {
  readonly y: Int32Array;
  readonly bins: BinIndexes;
  readonly scores: Float64Array;
}

export class Booster {
  readonly objective: GbdtObjective;
  /** Scores (and trees) per round: 1 for binary, the number of classes otherwise. */
  readonly width: number;
  /** What histograms read; its arrays are shared memory when `shared` was set. */
  readonly input: HistogramInputs;
  readonly bins: FeatureBins;
  /** Trees in order: round by round, `width` a round. */
  readonly trees: BinnedTree[] = [];
  private readonly baseScore: number[];
  private readonly y: Int32Array;
  private readonly scores: Float64Array;
  private readonly probabilities: Float64Array;
  private readonly context: Omit<GrowContext, "builder">;
  private readonly scored: ScoredRows | undefined;
  /** Every training row, in order: the sample when `subsample` is 1. */
  private readonly allRows: Int32Array;

  constructor(
    train: LabeledRows,
    readonly nFeatures: number,
    readonly nClasses: number,
    private readonly params: GbdtParams,
    scored: LabeledRows | undefined,
    shared: boolean,
  ) {
    const n = train.y.length;
    this.y = train.y;
    this.allRows = identity(n);
    this.objective = objectiveFor(nClasses);
    this.width = scoreWidth(this.objective, nClasses);
    this.baseScore = baseScore(this.objective, train.y, nClasses);
    this.bins = fitBins(train.x, nFeatures, this.allRows, params.maxBins, params.seed);
    const Memory = shared ? SharedArrayBuffer : ArrayBuffer;
    this.input = {
      bins: binRows(train.x, nFeatures, this.bins, shared),
      nFeatures,
      offsets: this.bins.offsets,
      gh: new Float64Array(new Memory(16 * n * this.width)),
      rows: new Int32Array(new Memory(4 * n)),
    };
    this.scores = this.startingScores(n);
    this.probabilities = new Float64Array(this.width);
    this.context = {
      input: this.input,
      pool: new HistogramPool(this.bins.offsets[nFeatures] * HIST_STRIDE),
      scratch: new Int32Array(n),
      columns: transposeBins(this.input.bins, nFeatures),
      params: {
        growth: params.growth,
        maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
        maxLeafNodes: params.maxLeafNodes ?? Number.POSITIVE_INFINITY,
        minSamplesSplit: params.minSamplesSplit,
        minSamplesLeaf: params.minSamplesLeaf,
        minHessianLeaf: params.minHessianLeaf,
        l2Regularization: params.l2Regularization,
        learningRate: params.learningRate,
      },
    };
    if (scored) {
      this.scored = {
        y: scored.y,
        bins: binRows(scored.x, nFeatures, this.bins),
        scores: this.startingScores(scored.y.length),
      };
    }
  }

  /** Rounds added so far. */
  get rounds(): number {
    return this.trees.length / this.width;
  }

  /**
   * Adds round `this.rounds`: its row sample and feature samples draw from (seed, round) only,
   * and `builder` computes the histograms.
   */
  addRound(builder: HistogramBuilder): void {
    const { params, width, input, y } = this;
    const n = y.length;
    const rng = new Random(deriveSeed(params.seed, this.rounds));
    const { sampled, left } =
      params.subsample < 1
        ? sampleRows(n, params.subsample, rng)
        : { sampled: this.allRows, left: new Int32Array(0) };
    computeGradients(this.scores, y, width, input.gh, this.probabilities);
    for (let k = 0; k < width; k++) {
      input.rows.set(sampled);
      const features = sampleFeatures(this.nFeatures, params.colsampleByTree, rng);
      const { tree, leaves } = growTree(
        { ...this.context, builder },
        2 * k * n,
        sampled.length,
        features,
      );
      for (const leaf of leaves) {
        for (let p = leaf.start; p < leaf.end; p++)
          this.scores[input.rows[p] * width + k] += leaf.value;
      }
      for (const i of left)
        this.scores[i * width + k] += binnedValue(tree, input.bins, this.nFeatures, i);
      if (this.scored) {
        const { bins, scores } = this.scored;
        for (let i = 0; i < this.scored.y.length; i++)
          scores[i * width + k] += binnedValue(tree, bins, this.nFeatures, i);
      }
      this.trees.push(tree);
    }
  }

  /** Log loss and accuracy of the model so far on the scored rows, if any. */
  evaluate(): { loss: number; accuracy: number } | undefined {
    return this.scored && evaluateScores(this.scored.scores, this.scored.y, this.width);
  }

  /** The model of the first `rounds` rounds, thresholds in feature units. */
  model(rounds: number): GbdtModelJSON {
    const { edges, offsets } = this.bins;
    return {
      kind: GBDT_MODEL_KIND,
      formatVersion: GBDT_FORMAT_VERSION,
      objective: this.objective,
      nFeatures: this.nFeatures,
      nClasses: this.nClasses,
      baseScore: [...this.baseScore],
      trees: this.trees.slice(0, rounds * this.width).map((tree) => ({
        feature: [...tree.feature],
        threshold: tree.feature.map((f, i) => (f < 0 ? 0 : edges[f][tree.bin[i] - offsets[f]])),
        left: [...tree.left],
        right: [...tree.right],
        value: [...tree.value],
      })),
    };
  }

  private startingScores(nRows: number): Float64Array {
    const scores = new Float64Array(nRows * this.width);
    for (let i = 0; i < nRows; i++) scores.set(this.baseScore, i * this.width);
    return scores;
  }
}

/** What the tree adds for row i of the row-major `bins`. */
function binnedValue(tree: BinnedTree, bins: BinIndexes, nFeatures: number, i: number): number {
  let node = 0;
  for (let f = tree.feature[0]; f >= 0; f = tree.feature[node]) {
    node = bins[i * nFeatures + f] <= tree.bin[node] ? tree.left[node] : tree.right[node];
  }
  return tree.value[node];
}

/** Each row independently with probability `share` (XGBoost's `subsample`), in row order. */
function sampleRows(
  n: number,
  share: number,
  rng: Random,
): { sampled: Int32Array; left: Int32Array } {
  const sampled: number[] = [];
  const left: number[] = [];
  for (let i = 0; i < n; i++) (rng.nextFloat() < share ? sampled : left).push(i);
  return { sampled: Int32Array.from(sampled), left: Int32Array.from(left) };
}

/** max(1, round(share·F)) features drawn without replacement, ascending (all of them at share 1). */
function sampleFeatures(nFeatures: number, share: number, rng: Random): Int32Array {
  const all = identity(nFeatures);
  if (share === 1) return all;
  const take = Math.max(1, Math.round(share * nFeatures));
  for (let i = 0; i < take; i++) {
    const j = i + rng.nextInt(nFeatures - i);
    const tmp = all[i];
    all[i] = all[j];
    all[j] = tmp;
  }
  return all.subarray(0, take).sort();
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
