/** The gradient-boosted trees search space of the platform's design. */
import type { GbdtOptions } from "../gbdt/options.js";
import type { ParameterExpression, SamplingKind, SearchSpace } from "./space.js";

/** The design's learning rates, 0.01 to 0.3. */
const LEARNING_RATE = { min: 0.01, max: 0.3 } as const;

/**
 * Options every trial of a design-space gbdt sweep shares. The design's `min_samples_split` comes
 * from scikit-learn's GradientBoostingClassifier, where `min_samples_leaf` is 1; the trainer's
 * own default of 20 rows per leaf would need 40 rows to split any node, so `minSamplesSplit`
 * 2, 5 or 10 would change nothing. A space that names `minSamplesLeaf` overrides this.
 */
export const GBDT_SWEEP_FIXED: Readonly<GbdtOptions> = { minSamplesLeaf: 1 };

/**
 * The design's space in the trainer's option names: `learning_rate` 0.01–0.3 (log-uniform for
 * random and Bayesian sampling, four points evenly spaced in log for grid sampling, which takes
 * `choice` only), `n_estimators` {50, 100, 150, 200}, `max_depth` {5, 10, 15, 20} and
 * `min_samples_split` {2, 5, 10} as `minSamplesSplit` (the same rule: a node with fewer rows is
 * not split; see {@link GBDT_SWEEP_FIXED}).
 */
export function gbdtDesignSpace(sampling: SamplingKind): SearchSpace {
  const learningRate: ParameterExpression =
    sampling === "grid"
      ? { type: "choice", values: [0.01, 0.03, 0.1, 0.3] }
      : { type: "loguniform", min: Math.log(LEARNING_RATE.min), max: Math.log(LEARNING_RATE.max) };
  return {
    learningRate,
    nEstimators: { type: "choice", values: [50, 100, 150, 200] },
    maxDepth: { type: "choice", values: [5, 10, 15, 20] },
    minSamplesSplit: { type: "choice", values: [2, 5, 10] },
  };
}
