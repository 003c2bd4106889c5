/**
 * Command-line options of `garch`: parsed with node:util, validated with zod, turned into the
 * core's GarchOptions. Every message names the flag and the rule.
 */
import { z } from "zod";
import {
  type DistName,
  type GarchOptions,
  MAX_AR_LAGS,
  MAX_HORIZON,
  MAX_ORDER,
  type MeanSpec,
} from "../src/index.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const DISTS = ["normal", "t", "skewt", "ged"] as const;

const integer = (flag: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${flag} must be a whole number`)
    .transform(Number)
    .pipe(
      z.number().int().min(min, `${flag} must be ≥ ${min}`).max(max, `${flag} must be ≤ ${max}`),
    );

const mean = z
  .string()
  .refine(
    (s) => /^(zero|constant|ar:[1-9]\d*)$/.test(s) && !(Number(s.slice(3)) > MAX_AR_LAGS),
    `--mean must be zero, constant or ar:K (K from 1 to ${MAX_AR_LAGS})`,
  )
  .transform((s): MeanSpec => {
    if (s === "zero" || s === "constant") return { kind: s };
    return { kind: "ar", lags: Number(s.slice(3)) };
  });

/** A positive number a double holds: "1e400" overflows to Infinity and "1e-400" to 0. */
const positiveDouble = (s: string) =>
  /^[0-9.eE+-]+$/.test(s) && Number(s) > 0 && Number.isFinite(Number(s));

const init = z
  .string()
  .refine(
    (s) => s === "fcp" || s === "ewma" || positiveDouble(s),
    "--init must be fcp, ewma or a positive number, from about 5e-324 to 1.8e308 (a double)",
  )
  .transform((s) => (s === "fcp" || s === "ewma" ? s : Number(s)));

const dist = z.enum(DISTS, { message: `--dist must be one of ${DISTS.join(", ")}` });

/** Options shared by `fit` and `select`. */
const modelFlags = {
  column: z.string().min(1, "--column must not be empty").optional(),
  mean: mean.prefault("constant"),
  init: init.default("fcp"),
  stationarity: z
    .enum(["on", "off"], { message: "--stationarity must be on or off" })
    .default("on")
    .transform((s) => s === "on"),
  "variance-targeting": z.boolean().default(false),
  horizon: integer("--horizon", 1, MAX_HORIZON).default(10),
  json: z.boolean().default(false),
  save: z.string().min(1, "--save must name a file").optional(),
};

/**
 * The library refuses variance targeting without stationarity, naming its own options; the CLI
 * names its flags.
 */
function targetingNeedsStationarity(
  flags: { stationarity: boolean; "variance-targeting": boolean },
  ctx: z.RefinementCtx,
): void {
  if (flags["variance-targeting"] && !flags.stationarity) {
    ctx.addIssue({
      code: "custom",
      message:
        "--variance-targeting needs --stationarity on: omega = sample variance × (1 − sum alpha − sum beta) must stay > 0",
    });
  }
}

export const fitFlags = z
  .object({
    ...modelFlags,
    p: integer("--p", 1, MAX_ORDER).default(1),
    q: integer("--q", 0, MAX_ORDER).default(1),
    dist: dist.default("normal"),
    repeat: integer("--repeat", 1, 10_000).default(1),
  })
  .strict()
  .superRefine(targetingNeedsStationarity);

export const selectFlags = z
  .object({
    ...modelFlags,
    // The grid's smallest GARCH order is the library's default of 1, so --max-q starts there.
    "max-p": integer("--max-p", 1, MAX_ORDER).default(2),
    "max-q": integer("--max-q", 1, MAX_ORDER).default(2),
    dist: z
      .string()
      .default("normal")
      .transform((s) => s.split(",").map((d) => d.trim()))
      .pipe(
        z
          .array(dist)
          .min(1, "--dist needs at least one distribution")
          .superRefine((dists, ctx) => {
            const twice = dists.find((d, i) => dists.indexOf(d) !== i);
            if (twice !== undefined) {
              ctx.addIssue({
                code: "custom",
                message: `--dist lists ${twice} more than once: name each distribution once`,
              });
            }
          }),
      ),
    criterion: z.enum(["aic", "bic"], { message: "--criterion must be aic or bic" }).default("bic"),
  })
  .strict()
  .superRefine(targetingNeedsStationarity);

/** The flags that take no value; every other flag of either command takes one. */
const SWITCHES: ReadonlySet<string> = new Set(["json", "variance-targeting"]);

/** `parseArgs` options for every flag the two commands' schemas above accept. */
export const FLAG_OPTIONS: Record<string, { type: "string" | "boolean" }> = Object.fromEntries(
  [...Object.keys(fitFlags.shape), ...Object.keys(selectFlags.shape)].map((flag) => [
    flag,
    { type: SWITCHES.has(flag) ? "boolean" : "string" },
  ]),
);

export type FitFlags = z.infer<typeof fitFlags>;
export type SelectFlags = z.infer<typeof selectFlags>;

/** Where `parseArgs` (with `tokens: true`) found an option. */
export interface OptionToken {
  readonly kind: string;
  readonly name?: string;
  readonly value?: string | undefined;
}

/**
 * Refuses an option that takes a value and is given more than once: `parseArgs` keeps the last
 * value and drops the others without a word. (A repeated switch such as --json changes nothing.)
 */
export function checkRepeats(tokens: readonly OptionToken[], command: string | undefined): void {
  const counts = new Map<string, number>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    if (FLAG_OPTIONS[token.name]?.type !== "string") continue;
    counts.set(token.name, (counts.get(token.name) ?? 0) + 1);
  }
  for (const [name, count] of counts) {
    if (count < 2) continue;
    const given = `--${name} is given ${count} times`;
    if (name !== "dist") throw new UsageError(`${given}: give it once`);
    throw new UsageError(
      command === "select"
        ? `${given}: give it once, the distributions comma-separated (--dist normal,t)`
        : `${given}: fit takes one distribution (garch select tries a comma-separated list)`,
    );
  }
}

/** Validates raw flags; throws UsageError whose message names every offending flag. */
export function validate<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys")
      return `unknown option(s): ${issue.keys.map((k) => `--${k}`).join(", ")}`;
    if (issue.code === "invalid_type" && issue.path.length > 0) {
      return `--${String(issue.path[0])}: ${issue.message}`;
    }
    return issue.message;
  });
  throw new UsageError(messages.join("; "));
}

/** The core's options for one model of the given flags. */
export function modelOptions(
  flags: Pick<FitFlags, "mean" | "init" | "stationarity" | "variance-targeting">,
  order: { p: number; q: number; dist: DistName },
): GarchOptions {
  return {
    p: order.p,
    q: order.q,
    dist: order.dist,
    mean: flags.mean,
    init: flags.init,
    stationarity: flags.stationarity,
    varianceTargeting: flags["variance-targeting"],
  };
}
