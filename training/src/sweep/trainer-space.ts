/**
 * Checking a search space against its trainer's rules before any trial runs, so that a misspelt
 * parameter or a range reaching past an option's bounds fails the sweep at once with the rule,
 * instead of failing every trial it draws.
 */
import { OptionError } from "../errors.js";
import { type ForestOptions, resolveForestOptions } from "../forest/options.js";
import { type GbdtOptions, resolveGbdtOptions } from "../gbdt/options.js";
import { checkSpace, type ParameterExpression, type SearchSpace } from "./space.js";
import type { SweepAlgorithm } from "./trainers.js";

/** Each trainer's option check: defaults applied, every option's rule enforced. */
const RESOLVE: Record<SweepAlgorithm, (options: Record<string, unknown>) => unknown> = {
  forest: (options) => resolveForestOptions(options as ForestOptions),
  gbdt: (options) => resolveGbdtOptions(options as GbdtOptions),
};

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
 * Checks `algorithm`'s space before any trial runs: every parameter must be one of the trainer's
 * options, and the fixed options with each value the expression can draw at its ends (and one
 * inside a range, which catches continuous draws for integer options) must pass the trainer's
 * own rules. Rules that depend on the data (a forest's `maxFeatures` above the feature count) are
 * still met trial by trial. Throws {@link OptionError} naming `fixed` or `space.<parameter>`
 * with the trainer's rule.
 */
export function checkTrainerSpace(
  algorithm: SweepAlgorithm,
  space: SearchSpace,
  fixed: ForestOptions | GbdtOptions = {},
): void {
  checkSpace(space);
  /** Resolves `options`; a refusal is rethrown as `wrap("<option> <rule>", its value)`. */
  const refused = (
    options: Record<string, unknown>,
    wrap: (rule: string, value: unknown) => OptionError,
  ) => {
    try {
      RESOLVE[algorithm](options);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      throw wrap(`${error.option} ${error.rule}`, options[error.option]);
    }
  };
  refused(
    { ...fixed } as Record<string, unknown>,
    (rule, value) =>
      new OptionError("fixed", `holds a value the ${algorithm} trainer refuses: ${rule}`, value),
  );
  for (const [name, e] of Object.entries(space)) {
    for (const value of probes(e)) {
      refused(
        { ...fixed, [name]: value },
        (rule) =>
          new OptionError(
            `space.${name}`,
            `${e.type} can draw a value the ${algorithm} trainer refuses: ${rule}`,
            value,
          ),
      );
    }
  }
}
