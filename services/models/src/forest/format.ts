/**
 * The file format of a served random forest: ml-random-forest 2.1's classifier JSON, which
 * `RandomForestClassifier.load` accepts, written from the trees a learner grew.
 */
import { type CartNodeJSON, type FlatTree, treeToJSON } from "./tree.js";

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

/** The growth settings the format records beside the trees. */
export interface ForestGrowth {
  readonly minSamplesSplit: number;
  /** Infinity when unbounded (stored as null). */
  readonly maxDepth: number;
  /** Whether each tree saw a bootstrap sample. */
  readonly bootstrap: boolean;
}

/** Assembles trees into ml-random-forest's classifier JSON. */
export function forestToJSON(
  trees: readonly FlatTree[],
  nFeatures: number,
  growth: ForestGrowth,
  seed: number,
): RandomForestJSON {
  const options: CartOptionsJSON = {
    gainFunction: "gini",
    splitFunction: "mean",
    minNumSamples: growth.minSamplesSplit,
    maxDepth: Number.isFinite(growth.maxDepth) ? growth.maxDepth : null,
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
      useSampleBagging: growth.bootstrap,
    },
  };
}
