import { OptionError } from "../errors.js";

/** Largest seed a training option takes: the registry records seeds as uint32 (contracts). */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Most trees a forest, or boosting rounds a gbdt, may have: scikit-learn's forests default to
 * 100 and boosted trees run thousands of rounds at small learning rates. Beyond this a typo (an
 * extra zero or three) would run until the heap is exhausted and the process dies without a word.
 */
export const MAX_ESTIMATORS = 100_000;

/** How many features a node may consider when it looks for a split. */
export type MaxFeatures = "sqrt" | "log2" | "all" | number;

/**
 * Random-forest hyperparameters, named and defaulted as scikit-learn's
 * `RandomForestClassifier`.
 */
export interface ForestOptions {
  /** Number of trees, 1 to {@link MAX_ESTIMATORS}. @default 100 */
  nEstimators?: number;
  /**
   * Features drawn (without replacement) at every node: `"sqrt"` → ⌊√F⌋, `"log2"` → ⌊log₂F⌋,
   * `"all"` → F, a number in (0, 1) → ⌊fraction·F⌋, an integer ≥ 1 → that count (≤ F); never
   * fewer than 1. A node whose drawn features are all constant keeps drawing. Note that `1`
   * means one feature: write `"all"` for every feature.
   * @default "sqrt"
   */
  maxFeatures?: MaxFeatures;
  /** Maximum depth (root = 0); `null` grows until the other limits stop it. @default null */
  maxDepth?: number | null;
  /** A node with fewer rows is not split; integer ≥ 2. @default 2 */
  minSamplesSplit?: number;
  /** Every leaf keeps at least this many rows; integer ≥ 1. @default 1 */
  minSamplesLeaf?: number;
  /** Fit each tree on a bootstrap sample (rows drawn with replacement). @default true */
  bootstrap?: boolean;
  /**
   * Weight of each class in the split criterion and the leaves: `"balanced"` →
   * n / (K · count of the class) over the training rows, or a map from class name to a positive
   * weight (classes not named weigh 1). @default null (all 1)
   */
  classWeight?: "balanced" | Readonly<Record<string, number>> | null;
  /** Seed of the bootstrap and the feature draws; integer in [0, 2³²−1]. @default 42 */
  seed?: number;
}

/** {@link ForestOptions} with defaults applied and every value checked. */
export interface ForestParams {
  readonly nEstimators: number;
  readonly maxFeatures: MaxFeatures;
  readonly maxDepth: number | null;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  readonly bootstrap: boolean;
  readonly classWeight: "balanced" | Readonly<Record<string, number>> | null;
  readonly seed: number;
}

/** What a tree learner needs, derived from {@link ForestParams} and the training data. */
export interface TreeParams {
  /** Features to examine per node, 1..F. */
  readonly featuresPerNode: number;
  /** Maximum depth; `Infinity` for none. */
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  readonly bootstrap: boolean;
}

const KNOWN = new Set([
  "nEstimators",
  "maxFeatures",
  "maxDepth",
  "minSamplesSplit",
  "minSamplesLeaf",
  "bootstrap",
  "classWeight",
  "seed",
]);

/** Applies defaults and checks every option; throws {@link OptionError} naming the option. */
export function resolveForestOptions(options: ForestOptions = {}): ForestParams {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new OptionError(key, `is not a forest option (known: ${[...KNOWN].join(", ")})`, key);
    }
  }
  const {
    nEstimators = 100,
    maxFeatures = "sqrt",
    maxDepth = null,
    minSamplesSplit = 2,
    minSamplesLeaf = 1,
    bootstrap = true,
    classWeight = null,
    seed = 42,
  } = options;
  checkInteger("nEstimators", nEstimators, 1, MAX_ESTIMATORS);
  if (typeof maxFeatures === "string") {
    if (maxFeatures !== "sqrt" && maxFeatures !== "log2" && maxFeatures !== "all") {
      throw new OptionError(
        "maxFeatures",
        'must be "sqrt", "log2", "all" or a number',
        maxFeatures,
      );
    }
  } else if (
    typeof maxFeatures !== "number" ||
    !(maxFeatures > 0) ||
    (maxFeatures >= 1 && !Number.isInteger(maxFeatures))
  ) {
    throw new OptionError(
      "maxFeatures",
      "must be a fraction in (0, 1) or an integer count ≥ 1",
      maxFeatures,
    );
  }
  if (maxDepth !== null) checkInteger("maxDepth", maxDepth, 1);
  checkInteger("minSamplesSplit", minSamplesSplit, 2);
  checkInteger("minSamplesLeaf", minSamplesLeaf, 1);
  if (typeof bootstrap !== "boolean") {
    throw new OptionError("bootstrap", "must be true or false", bootstrap);
  }
  if (classWeight !== null && classWeight !== "balanced") {
    if (typeof classWeight !== "object" || Array.isArray(classWeight)) {
      throw new OptionError(
        "classWeight",
        'must be "balanced" or a map of class name to weight',
        classWeight,
      );
    }
    for (const [name, weight] of Object.entries(classWeight)) {
      if (typeof weight !== "number" || !Number.isFinite(weight) || !(weight > 0)) {
        throw new OptionError(`classWeight.${name}`, "must be a finite number > 0", weight);
      }
    }
  }
  checkInteger("seed", seed, 0, MAX_SEED);
  return {
    nEstimators,
    maxFeatures,
    maxDepth,
    minSamplesSplit,
    minSamplesLeaf,
    bootstrap,
    classWeight,
    seed,
  };
}

/** The per-node feature count for `nFeatures` features; throws when a count exceeds it. */
export function treeParams(params: ForestParams, nFeatures: number): TreeParams {
  const { maxFeatures } = params;
  let count: number;
  if (maxFeatures === "sqrt") count = Math.floor(Math.sqrt(nFeatures));
  else if (maxFeatures === "log2") count = Math.floor(Math.log2(nFeatures));
  else if (maxFeatures === "all") count = nFeatures;
  else if (maxFeatures < 1) count = Math.floor(maxFeatures * nFeatures);
  else {
    if (maxFeatures > nFeatures) {
      throw new OptionError(
        "maxFeatures",
        `must be at most the ${nFeatures} features`,
        maxFeatures,
      );
    }
    count = maxFeatures;
  }
  return {
    featuresPerNode: Math.max(1, count),
    maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
    minSamplesSplit: params.minSamplesSplit,
    minSamplesLeaf: params.minSamplesLeaf,
    bootstrap: params.bootstrap,
  };
}

/**
 * Per-class weights in class-index order. Map keys must be class names of the data; "balanced"
 * uses the class counts of `y` (the training rows), as scikit-learn does.
 */
export function classWeights(
  params: ForestParams,
  classNames: readonly string[],
  y: Int32Array,
): Float64Array {
  const weights = new Float64Array(classNames.length).fill(1);
  const { classWeight } = params;
  if (classWeight === "balanced") {
    const counts = new Float64Array(classNames.length);
    for (const k of y) counts[k]++;
    counts.forEach((count, k) => {
      // A class absent from the training rows never reaches a leaf; its weight is moot.
      weights[k] = count === 0 ? 1 : y.length / (classNames.length * count);
    });
  } else if (classWeight !== null) {
    for (const [name, weight] of Object.entries(classWeight)) {
      const k = classNames.indexOf(name);
      if (k < 0) {
        throw new OptionError(
          `classWeight.${name}`,
          `names no class of the data (classes: ${classNames.join(", ")})`,
          weight,
        );
      }
      weights[k] = weight;
    }
  }
  return weights;
}

function checkInteger(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    // Without a maximum of its own an option stops at 2^53 − 1, which is named once it is passed.
    const unbounded = max === Number.MAX_SAFE_INTEGER && !((value as number) > max);
    const range = unbounded ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new OptionError(option, `must be an integer ${range}`, value);
  }
}
