import { deriveSeed, Random } from "@mlops/garch/random";
import { OptionError } from "../errors.js";

/** A hyperparameter value. */
/** How a sweep draws its trials: every combination, seeded random draws, or TPE. */
export type SamplingKind = "grid" | "random" | "bayesian";

export type ParameterValue = number | string | boolean;

/**
 * Azure ML's parameter expressions: `choice` of listed values; `uniform` in [min, max);
 * `loguniform` = exp(uniform(min, max)), so min and max are natural logs; `quniform` =
 * round(uniform(min, max) / q) · q; `randint` an integer in [0, upper).
 */
export type ParameterExpression =
  | { type: "choice"; values: readonly ParameterValue[] }
  | { type: "uniform"; min: number; max: number }
  | { type: "loguniform"; min: number; max: number }
  | { type: "quniform"; min: number; max: number; q: number }
  | { type: "randint"; upper: number };

/** Parameter name → expression. */
export type SearchSpace = Readonly<Record<string, ParameterExpression>>;

/** One trial's parameter values. */
export type Assignment = Record<string, ParameterValue>;

/** Checks every expression; throws {@link OptionError} naming `space.<parameter>`. */
export function checkSpace(space: SearchSpace): void {
  const names = Object.keys(space);
  if (names.length === 0) throw new OptionError("space", "must name at least one parameter", space);
  for (const name of names) {
    const e = space[name];
    const option = `space.${name}`;
    switch (e?.type) {
      case "choice":
        if (!Array.isArray(e.values) || e.values.length === 0) {
          throw new OptionError(option, "choice needs at least one value", e.values);
        }
        e.values.forEach((value: unknown, i) => {
          // What a run's params can record (MLflow's are text); an omitted option keeps its default.
          if (!["number", "string", "boolean"].includes(typeof value)) {
            throw new OptionError(
              `${option}.values[${i}]`,
              "must be a number, a string or a boolean (leave the option out of the space for its default)",
              value,
            );
          }
        });
        break;
      case "uniform":
      case "loguniform":
      case "quniform":
        if (!Number.isFinite(e.min) || !Number.isFinite(e.max) || !(e.min < e.max)) {
          throw new OptionError(option, `${e.type} needs finite min < max`, {
            min: e.min,
            max: e.max,
          });
        }
        if (e.type === "quniform" && !(e.q > 0 && Number.isFinite(e.q))) {
          throw new OptionError(option, "quniform needs a finite q > 0", e.q);
        }
        break;
      case "randint":
        if (!Number.isInteger(e.upper) || e.upper < 1) {
          throw new OptionError(option, "randint needs an integer upper ≥ 1", e.upper);
        }
        break;
      default:
        throw new OptionError(
          option,
          "must be one of choice, uniform, loguniform, quniform, randint",
          (e as { type?: unknown } | undefined)?.type,
        );
    }
  }
}

/**
 * Every combination of the `choice` values (grid sampling supports only `choice`), in parameter
 * order with the last parameter varying fastest.
 */
export function gridAssignments(space: SearchSpace): Assignment[] {
  checkSpace(space);
  let grid: Assignment[] = [{}];
  for (const [name, e] of Object.entries(space)) {
    if (e.type !== "choice") {
      throw new OptionError(`space.${name}`, "must be a choice for grid sampling", e.type);
    }
    grid = grid.flatMap((partial) => e.values.map((value) => ({ ...partial, [name]: value })));
  }
  return grid;
}

/** Trial `index`'s assignment under random sampling: it depends only on (seed, index). */
export function randomAssignment(space: SearchSpace, seed: number, index: number): Assignment {
  checkSpace(space);
  const rng = new Random(deriveSeed(seed, index));
  const assignment: Assignment = {};
  for (const [name, e] of Object.entries(space)) {
    const uniform = (min: number, max: number) => min + rng.nextFloat() * (max - min);
    switch (e.type) {
      case "choice":
        assignment[name] = e.values[rng.nextInt(e.values.length)];
        break;
      case "uniform":
        assignment[name] = uniform(e.min, e.max);
        break;
      case "loguniform":
        assignment[name] = Math.exp(uniform(e.min, e.max));
        break;
      case "quniform":
        assignment[name] = Math.round(uniform(e.min, e.max) / e.q) * e.q;
        break;
      case "randint":
        assignment[name] = rng.nextInt(e.upper);
        break;
    }
  }
  return assignment;
}
