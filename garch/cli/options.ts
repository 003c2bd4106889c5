/**
 * Command-line options of `garch`: parsed with node:util, validated with zod, turned into the
 * core's GarchOptions. Every message names the flag and the rule.
 */
import { z } from "zod";
import type { DistName, GarchOptions, MeanSpec } from "../src/index.js";

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
  .regex(/^(zero|constant|ar:[1-9]\d*)$/, "--mean must be zero, constant or ar:K (K ≥ 1)")
  .transform((s): MeanSpec => {
    if (s === "zero" || s === "constant") return { kind: s };
    return { kind: "ar", lags: Number(s.slice(3)) };
  });

const init = z
  .string()
  .refine(
    (s) => s === "fcp" || s === "ewma" || (/^[0-9.eE+-]+$/.test(s) && Number(s) > 0),
    "--init must be fcp, ewma or a positive number",
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
  horizon: integer("--horizon", 1, 10_000).default(10),
  json: z.boolean().default(false),
  save: z.string().min(1, "--save must name a file").optional(),
};

export const fitFlags = z
  .object({
    ...modelFlags,
    p: integer("--p", 1, 20).default(1),
    q: integer("--q", 0, 20).default(1),
    dist: dist.default("normal"),
    repeat: integer("--repeat", 1, 10_000).default(1),
  })
  .strict();

export const selectFlags = z
  .object({
    ...modelFlags,
    "max-p": integer("--max-p", 1, 5).default(2),
    "max-q": integer("--max-q", 0, 5).default(2),
    dist: z
      .string()
      .default("normal")
      .transform((s) => s.split(",").map((d) => d.trim()))
      .pipe(z.array(dist).min(1, "--dist needs at least one distribution")),
    criterion: z.enum(["aic", "bic"], { message: "--criterion must be aic or bic" }).default("bic"),
  })
  .strict();

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
