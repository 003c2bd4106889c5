/**
 * Env-var readers: a blank variable counts as unset (Kubernetes renders empty values), and every
 * rule is checked on the trimmed text so messages are about what the operator wrote.
 */
import { z } from "zod";

/** A `process.env`-like record. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

const unsetIfBlank = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** An integer in [min, max]; `def` when unset (null for optional variables). */
export function intVar<D extends number | null>(def: D, min: number, max: number) {
  return textVar(
    z
      .string()
      .regex(/^[+-]?\d+$/, { error: "must be an integer" })
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
    def,
  );
}

/** A finite number in [min, max]; `def` when unset. */
export function numberVar(def: number, min: number, max: number) {
  return unsetIfBlank.pipe(
    z
      .string()
      .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, { error: "must be a decimal number" })
      .transform(Number)
      .pipe(z.number().min(min).max(max))
      .default(def),
  );
}

/** One of `values`; `def` when unset. */
export function enumVar<const T extends readonly [string, ...string[]]>(values: T, def: T[number]) {
  return unsetIfBlank.pipe(z.enum(values).default(def as never));
}

/** Text checked by `schema`; `def` when unset (null for optional variables). */
export function textVar<S extends z.ZodType<unknown, string>, D extends z.output<S> | null>(
  schema: S,
  def: D,
) {
  return unsetIfBlank.pipe(
    schema.optional().transform((v): z.output<S> | D => (v === undefined ? def : v)),
  );
}

/**
 * A comma-separated list whose items each pass `item`; empty when unset. A set variable that lists
 * nothing (`,,`) is refused: whoever set it meant some items.
 */
export function listVar<S extends z.ZodType<unknown, string>>(item: S, max: number) {
  return unsetIfBlank.pipe(
    z
      .string()
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x !== ""),
      )
      .pipe(
        z
          .array(item)
          .min(1, { error: "lists nothing: name at least one item, or unset it" })
          .max(max),
      )
      .default([] as never),
  );
}
