/**
 * The gradient-boosted trees search space of the platform's design, and the check that a gbdt
 * space and its fixed options only ever produce valid trainer options.
 */
import { OptionError } from "../errors.js";
import { type GbdtOptions, resolveGbdtOptions } from "../gbdt/options.js";
import {
  checkSpace,
  type ParameterExpression,
  type SamplingKind,
  type SearchSpace,
} from "./space.js";

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

/** An interior point of a range that no integer option accepts for integer bounds (1/φ of the way). */
const INTERIOR = (Math.sqrt(5) - 1) / 2;

/** Values an expression can draw that together reach its extremes (and, for ranges, a fraction). */
function probes(e: ParameterExpression): readonly (number | string | boolean)[] {
  switch (e.type) {
    case "choice":
      return e.values;
    case "uniform":
      return [e.min, e.max, e.min + INTERIOR * (e.max - e.min)];
    case "loguniform":
      return [e.min, e.max, e.min + INTERIOR * (e.max - e.min)].map(Math.exp);
    case "quniform":
      return [e.min, e.max, e.min + INTERIOR * (e.max - e.min)].map(
        (v) => Math.round(v / e.q) * e.q,
      );
    case "randint":
      return [0, e.upper - 1];
  }
}

/**
 * Checks a gbdt space before any trial runs: every parameter must be a gbdt option, and the fixed
 * options with each value the expression can draw at its ends (and one inside a range, which
 * catches continuous draws for integer options) must pass the trainer's own rules. Throws
 * {@link OptionError} naming `fixed` or `space.<parameter>` with the trainer's rule.
 */
export function checkGbdtSpace(space: SearchSpace, fixed: GbdtOptions = {}): void {
  checkSpace(space);
  refused(
    fixed,
    (rule, value) =>
      new OptionError("fixed", `holds a value the gbdt trainer refuses: ${rule}`, value),
  );
  for (const [name, e] of Object.entries(space)) {
    for (const value of probes(e)) {
      refused(
        { ...fixed, [name]: value } as GbdtOptions,
        (rule) =>
          new OptionError(
            `space.${name}`,
            `${e.type} can draw a value the gbdt trainer refuses: ${rule}`,
            value,
          ),
      );
    }
  }
}

/** Resolves `options`; an OptionError is rethrown as `wrap("<option> <rule>", its value)`. */
function refused(options: GbdtOptions, wrap: (rule: string, value: unknown) => OptionError): void {
  try {
    resolveGbdtOptions(options);
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    throw wrap(`${error.option} ${error.rule}`, (options as Record<string, unknown>)[error.option]);
  }
}
