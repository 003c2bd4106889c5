import { z } from "zod";
import { OptionError } from "../errors.js";
import { MAX_ESTIMATORS, MAX_SEED } from "../forest/options.js";

/** How a tree grows: the best leaf anywhere next (LightGBM) or level by level (XGBoost's default). */
export type Growth = "leafwise" | "depthwise";

/**
 * Gradient-boosted trees hyperparameters. Defaults follow scikit-learn's
 * `HistGradientBoostingClassifier`; names follow this package's forest where they mean the same.
 */
export interface GbdtOptions {
  /** Boosting rounds (one tree per round, one per class and round for more than 2 classes). @default 100 */
  nEstimators?: number;
  /** Shrinkage: every leaf value is multiplied by it; in (0, 1]. @default 0.1 */
  learningRate?: number;
  /** `"leafwise"` splits the leaf of largest gain next; `"depthwise"` splits level by level. @default "leafwise" */
  growth?: Growth;
  /** Most leaves per tree, ≥ 2; `null` for no limit. @default 31 */
  maxLeafNodes?: number | null;
  /** Most split levels below the root, ≥ 1; `null` for no limit. @default null */
  maxDepth?: number | null;
  /** Fewest training rows in a leaf, ≥ 1. @default 20 */
  minSamplesLeaf?: number;
  /** A node with fewer rows is not split, ≥ 2. @default 2 */
  minSamplesSplit?: number;
  /** Smallest hessian sum in a leaf (XGBoost's `min_child_weight`), ≥ 0. @default 0.001 */
  minHessianLeaf?: number;
  /** L2 penalty on leaf values (λ in G²/(H + λ)), ≥ 0. @default 0 */
  l2Regularization?: number;
  /** Most bins per feature, in [2, 255]; quantile edges from the training rows. @default 255 */
  maxBins?: number;
  /** Share of rows each round draws (each row independently), in (0, 1]. @default 1 */
  subsample?: number;
  /** Share of features each tree may split on, in (0, 1]; at least one. @default 1 */
  colsampleByTree?: number;
  /**
   * Stop once the validation log loss has not improved by more than `tol` for `nIterNoChange`
   * rounds, and keep the rounds up to the best. Scored on the fit's `validation` rows when given,
   * else on a seeded stratified `validationFraction` of the training rows held out of the fit.
   * @default false
   */
  earlyStopping?: boolean;
  /** Share of each class's training rows held out for early stopping, in (0, 1). @default 0.1 */
  validationFraction?: number;
  /** Rounds without improvement before early stopping ends the fit, ≥ 1. @default 10 */
  nIterNoChange?: number;
  /** Smallest decrease of the validation loss that counts as improvement, ≥ 0. @default 1e-7 */
  tol?: number;
  /** Seed of the row and feature draws and of the early-stopping split; integer in [0, 2³²−1]. @default 42 */
  seed?: number;
}

const count = (min: number) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);
const share = z.number().gt(0).lte(1);

/** Each option's schema and the rule an error states when a value breaks it. */
const FIELDS = {
  nEstimators: [
    z.number().int().min(1).max(MAX_ESTIMATORS).default(100),
    `must be an integer in [1, ${MAX_ESTIMATORS}]`,
  ],
  learningRate: [share.default(0.1), "must be a number in (0, 1]"],
  growth: [
    z.enum(["leafwise", "depthwise"]).default("leafwise"),
    'must be "leafwise" or "depthwise"',
  ],
  maxLeafNodes: [count(2).nullable().default(31), "must be an integer ≥ 2 or null"],
  maxDepth: [count(1).nullable().default(null), "must be an integer ≥ 1 or null"],
  minSamplesLeaf: [count(1).default(20), "must be an integer ≥ 1"],
  minSamplesSplit: [count(2).default(2), "must be an integer ≥ 2"],
  minHessianLeaf: [
    z.number().min(0).max(Number.MAX_VALUE).default(1e-3),
    "must be a finite number ≥ 0",
  ],
  l2Regularization: [
    z.number().min(0).max(Number.MAX_VALUE).default(0),
    "must be a finite number ≥ 0",
  ],
  maxBins: [z.number().int().min(2).max(255).default(255), "must be an integer in [2, 255]"],
  subsample: [share.default(1), "must be a number in (0, 1]"],
  colsampleByTree: [share.default(1), "must be a number in (0, 1]"],
  earlyStopping: [z.boolean().default(false), "must be true or false"],
  validationFraction: [z.number().gt(0).lt(1).default(0.1), "must be a number in (0, 1)"],
  nIterNoChange: [count(1).default(10), "must be an integer ≥ 1"],
  tol: [z.number().min(0).max(Number.MAX_VALUE).default(1e-7), "must be a finite number ≥ 0"],
  seed: [
    z.number().int().min(0).max(MAX_SEED).default(42),
    `must be an integer in [0, ${MAX_SEED}]`,
  ],
} as const;

type Fields = typeof FIELDS;
const schema = z.strictObject(
  Object.fromEntries(Object.entries(FIELDS).map(([name, [field]]) => [name, field])) as {
    [K in keyof Fields]: Fields[K][0];
  },
);

/** {@link GbdtOptions} with defaults applied and every value checked. */
export type GbdtParams = Readonly<z.output<typeof schema>>;

/** The names of every option, in documentation order. */
export const GBDT_OPTION_NAMES = Object.keys(FIELDS) as readonly (keyof GbdtOptions)[];

/**
 * Applies defaults and checks every option with zod; the first broken rule throws an
 * {@link OptionError} naming the option, its rule and the value given.
 */
export function resolveGbdtOptions(options: GbdtOptions = {}): GbdtParams {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  if (issue.code === "unrecognized_keys") {
    const [key] = issue.keys;
    throw new OptionError(
      key,
      `is not a gbdt option (known: ${GBDT_OPTION_NAMES.join(", ")})`,
      key,
    );
  }
  const name = issue.path[0];
  if (typeof name !== "string" || !(name in FIELDS)) {
    throw new OptionError("options", "must be an object of gbdt options", options);
  }
  const field = name as keyof Fields;
  // A count's rule states its least value; past 2^53 − 1 it is the ceiling that was broken.
  const rule =
    issue.code === "too_big" && issue.maximum === Number.MAX_SAFE_INTEGER
      ? `must be an integer at most ${Number.MAX_SAFE_INTEGER}`
      : FIELDS[field][1];
  throw new OptionError(field, rule, (options as Record<string, unknown>)[field]);
}
