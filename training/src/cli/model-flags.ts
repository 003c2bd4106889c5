/**
 * The model flags of `mlops train`: `--algorithm forest|gbdt`, the forest's `--trees` and the
 * boosted trees' hyperparameters, checked at the edge. A zod discriminated union on the algorithm
 * says which flags belong to which algorithm and parses their text; the ranges are the trainers'
 * own (`resolveGbdtOptions`), reported under the flag's name: `--learning-rate must be a number
 * in (0, 1] (got 2)`.
 */
import type { Command } from "commander";
import { z } from "zod";
import { OptionError } from "../errors.js";
import { type GbdtOptions, resolveGbdtOptions } from "../gbdt/options.js";
import type { ModelSpec } from "../jobs/train.js";
import { DECIMAL_RULE, decimalNumber } from "./flags.js";

/** A boosted-trees flag: its commander spelling, the option it sets, and its help. */
interface GbdtFlag {
  readonly spelling: string;
  readonly option: keyof GbdtOptions;
  readonly help: string;
  /** `none` means no limit (null). */
  readonly noneIsNull?: true;
}

/** The gbdt flags by commander's attribute name (`--learning-rate` → `learningRate`). */
const GBDT_FLAGS = {
  rounds: {
    spelling: "--rounds <n>",
    option: "nEstimators",
    help: "gbdt: boosting rounds (default 100)",
  },
  learningRate: {
    spelling: "--learning-rate <x>",
    option: "learningRate",
    help: "gbdt: shrinkage of every tree, in (0, 1] (default 0.1)",
  },
  growth: {
    spelling: "--growth <how>",
    option: "growth",
    help: "gbdt: leafwise (best leaf next) or depthwise (level by level) (default leafwise)",
  },
  maxDepth: {
    spelling: "--max-depth <n|none>",
    option: "maxDepth",
    help: "gbdt: most split levels below the root (default none)",
    noneIsNull: true,
  },
  maxLeafNodes: {
    spelling: "--max-leaf-nodes <n|none>",
    option: "maxLeafNodes",
    help: "gbdt: most leaves per tree (default 31)",
    noneIsNull: true,
  },
  l2: {
    spelling: "--l2 <x>",
    option: "l2Regularization",
    help: "gbdt: L2 penalty on leaf values (default 0)",
  },
  minSamplesLeaf: {
    spelling: "--min-samples-leaf <n>",
    option: "minSamplesLeaf",
    help: "gbdt: fewest training rows in a leaf (default 20)",
  },
  minHessianLeaf: {
    spelling: "--min-hessian-leaf <x>",
    option: "minHessianLeaf",
    help: "gbdt: smallest hessian sum in a leaf (default 0.001)",
  },
  subsample: {
    spelling: "--subsample <x>",
    option: "subsample",
    help: "gbdt: share of rows each round draws, in (0, 1] (default 1)",
  },
  colsample: {
    spelling: "--colsample <x>",
    option: "colsampleByTree",
    help: "gbdt: share of features each tree may split on, in (0, 1] (default 1)",
  },
  maxBins: {
    spelling: "--max-bins <n>",
    option: "maxBins",
    help: "gbdt: most histogram bins per feature, in [2, 255] (default 255)",
  },
  validationFraction: {
    spelling: "--validation-fraction <x>",
    option: "validationFraction",
    help: "gbdt: share of the training rows held out for early stopping, in (0, 1) (default 0.1)",
  },
  earlyStoppingRounds: {
    spelling: "--early-stopping-rounds <n>",
    option: "nIterNoChange",
    help: "gbdt: stop once the held-out log loss has not improved for this many rounds, keeping the best round (default off)",
  },
} as const satisfies Record<string, GbdtFlag>;

type GbdtFlagName = keyof typeof GBDT_FLAGS;

/** `--learning-rate` from `learningRate`. */
function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A flag's text as a number (or null for `none` where allowed), else a zod issue. */
function numeric(noneIsNull: boolean) {
  return z.string().transform((text, ctx): number | null => {
    if (noneIsNull && text === "none") return null;
    const value = decimalNumber(text);
    if (value === undefined) {
      ctx.addIssue({
        code: "custom",
        message: noneIsNull ? `${DECIMAL_RULE}, or none` : DECIMAL_RULE,
      });
      return z.NEVER;
    }
    return value;
  });
}

/** A gbdt flag's text, optional, parsed to what its option takes. */
type FlagSchema = z.ZodOptional<z.ZodType<string | number | null, string>>;

const gbdtShape = Object.fromEntries(
  Object.entries(GBDT_FLAGS).map(([name, flag]): [string, FlagSchema] => [
    name,
    (flag.option === "growth" ? z.string() : numeric("noneIsNull" in flag)).optional(),
  ]),
) as Record<GbdtFlagName, FlagSchema>;

/** The model flags as given: which belong to which algorithm, each parsed from its text. */
const ModelFlagsSchema = z.discriminatedUnion(
  "algorithm",
  [
    z.strictObject({ algorithm: z.literal("forest"), trees: z.number().optional() }),
    z.strictObject({ algorithm: z.literal("gbdt"), ...gbdtShape }),
  ],
  { error: 'must be "forest" or "gbdt"' },
);

/** The flags `mlops train` reads into a model spec (commander's attribute names). */
export type ModelFlags = { algorithm: string; trees?: number } & Partial<
  Record<GbdtFlagName, string>
>;

/** The names of the model flags among a command's parsed options. */
const MODEL_FLAG_NAMES = new Set<string>(["algorithm", "trees", ...Object.keys(GBDT_FLAGS)]);

/** A flag's name without its argument: `--max-depth` from `--max-depth <n|none>`. */
const flagName = (flag: GbdtFlag): string => flag.spelling.split(" ")[0]!;

/**
 * The model flags that ask `mlops train` for `spec`: the inverse of {@link modelSpecFromFlags},
 * read off the same flag table, so a job on the cluster trains exactly what the local command
 * would (`modelSpecFromFlags` of these flags is `spec` again). A forest is the default
 * algorithm and writes `--trees` only; a gbdt option no flag carries (`tol`, `minSamplesSplit`,
 * or `earlyStopping` without `nIterNoChange`) is refused rather than dropped.
 */
export function modelFlagArgs(spec: ModelSpec): string[] {
  if (spec.algorithm === "forest") {
    return spec.trees === undefined ? [] : ["--trees", String(spec.trees)];
  }
  const options: Record<string, unknown> = { ...spec.options };
  const args = ["--algorithm", "gbdt"];
  for (const flag of Object.values(GBDT_FLAGS) as GbdtFlag[]) {
    const value = options[flag.option];
    delete options[flag.option];
    if (value === undefined) continue;
    args.push(flagName(flag), value === null && flag.noneIsNull ? "none" : String(value));
  }
  // `--early-stopping-rounds` is what turns early stopping on: the flags hold both or neither.
  const { earlyStopping = false } = options;
  delete options.earlyStopping;
  if (earlyStopping !== (spec.options?.nIterNoChange !== undefined)) {
    throw new OptionError(
      "earlyStopping",
      "must be true exactly when nIterNoChange is set (--early-stopping-rounds carries both)",
      spec.options?.earlyStopping,
    );
  }
  const [option, value] = Object.entries(options).find(([, v]) => v !== undefined) ?? [];
  if (option !== undefined) {
    throw new OptionError(option, "has no mlops train flag, so a job cannot carry it", value);
  }
  return args;
}

/** Adds `--algorithm` and the gbdt flags to `mlops train` (`--trees` is the forest's, there already). */
export function addModelFlags(command: Command): Command {
  command.option(
    "--algorithm <name>",
    "forest (a random forest) or gbdt (gradient-boosted trees)",
    "forest",
  );
  for (const flag of Object.values(GBDT_FLAGS)) command.option(flag.spelling, flag.help);
  return command;
}

/**
 * The model spec the model flags among `opts` describe; throws an {@link OptionError} naming the
 * flag and the rule when one is malformed, out of range or of the other algorithm.
 */
export function modelSpecFromFlags(opts: ModelFlags): ModelSpec {
  const given: Record<string, unknown> = Object.fromEntries(
    Object.entries(opts).filter(([key, value]) => MODEL_FLAG_NAMES.has(key) && value !== undefined),
  );
  const parsed = ModelFlagsSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys") {
      const key = issue.keys[0]!;
      const owner = key === "trees" ? "forest" : "gbdt";
      throw new OptionError(flagOf(key), `applies to --algorithm ${owner} only`, given[key]);
    }
    const key = String(issue.path[0] ?? "algorithm");
    throw new OptionError(flagOf(key), issue.message, given[key]);
  }
  const flags = parsed.data;
  if (flags.algorithm === "forest") {
    return { algorithm: "forest", ...(flags.trees === undefined ? {} : { trees: flags.trees }) };
  }
  const options: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(GBDT_FLAGS)) {
    const value = flags[name as GbdtFlagName];
    if (value !== undefined) options[flag.option] = value;
  }
  if (options.nIterNoChange !== undefined) options.earlyStopping = true;
  else if (options.validationFraction !== undefined) {
    throw new OptionError(
      "--validation-fraction",
      "needs --early-stopping-rounds (the share is held out for early stopping only)",
      given.validationFraction,
    );
  }
  try {
    resolveGbdtOptions(options as GbdtOptions);
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    const entry = Object.entries(GBDT_FLAGS).find(([, f]) => f.option === error.option);
    if (entry === undefined) throw error;
    const [name, flag] = entry;
    // The trainer's rule, under the flag's name (and `none` where the trainer says null).
    const rule = "noneIsNull" in flag ? error.rule.replace(/\bnull\b/, "none") : error.rule;
    throw new OptionError(flagOf(name), rule, given[name]);
  }
  return { algorithm: "gbdt", options: options as GbdtOptions };
}
