/**
 * Building blocks with their limits, so every schema that carries a name, an id, a number or
 * a timestamp rejects bad values the same way.
 */
import { z } from "zod";

/** Upper bound on any free-text field (reasons, descriptions). */
export const MAX_TEXT = 4096;

/**
 * Names of models, experiments and metrics: start with a letter or digit, then letters, digits,
 * `.`, `_`, `-`; at most 64 characters. No `@` (it separates a model reference) and no `/` or
 * `:` (they appear in artifact URIs and Cosmos ids).
 */
export const NameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  error:
    "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
});

/** An HTTP token (RFC 9110): what a header field name, or a cookie name, is made of. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The longest opaque id. */
export const MAX_ID_LENGTH = 128;
/** Opaque ids (request ids, run ids, decision ids): 1-128 URL-safe characters. */
export const IdSchema = z.string().regex(new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_ID_LENGTH}}$`), {
  error: `must be 1-${MAX_ID_LENGTH} characters of letters, digits, '.', '_', ':' or '-'`,
});

/** A user id as clients send it: any text without control characters, 1-256 characters. */
export const UserIdSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]*$/u, { error: "must not contain control characters" });

/**
 * A number given as text (a query or path parameter, a command-line flag), read as `schema`:
 * decimal digits with an optional fraction, as people write amounts. `Number()` alone would also
 * take `0x10`, `1e2`, padded spaces, and an empty value as 0.
 */
export function decimalText<T extends z.ZodType<number, number>>(schema: T, whole = false) {
  return z
    .string()
    .regex(whole ? /^\d{1,15}$/ : /^\d{1,15}(\.\d{1,15})?$/, {
      error: whole
        ? "must be a whole number in decimal digits, such as 20"
        : "must be a number in decimal digits, such as 20 or 0.5",
    })
    .transform(Number)
    .pipe(schema);
}

/**
 * Why a service URL a command is given is refused for holding credentials (`user:password@`), or
 * null: fetch refuses to send such a URL, and every failure would print the password.
 */
export function urlCredentialsRule(url: URL): string | null {
  return url.username !== "" || url.password !== ""
    ? "must not hold a user name or password (user:password@host): credentials go in a header"
    : null;
}

/** Model version numbers start at 1. */
export const VersionSchema = z.number().int().min(1).max(1_000_000_000);

/**
 * The longest delay Node's timers (`setTimeout`, `AbortSignal.timeout`) keep: 2^31 − 1 ms, about
 * 24.8 days. A longer one is taken as 1 ms, so a deadline past it would pass at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The latest time a Date can hold (ECMAScript's limit): the end of an open time window. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;
/** Milliseconds since the Unix epoch (UTC); integers compare and index fast in both stores. */
export const EpochMsSchema = z.number().int().min(0).max(MAX_EPOCH_MS);

/** Finite numbers only: zod 4 rejects NaN and ±Infinity for `z.number()`. */
export const FiniteSchema = z.number();

/** A probability in [0, 1]. */
export const ProbabilitySchema = z.number().min(0).max(1);

/** Lower-case SHA-256 hex digest. */
export const Sha256HexSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: "must be a lower-case SHA-256 hex digest (64 characters)" });

/** A git commit, abbreviated (7+) or full (40 hex). */
export const GitShaSchema = z
  .string()
  .regex(/^[0-9a-f]{7,40}$/, { error: "must be 7-40 lower-case hex characters" });

/** A class label as the model emits it (labels from CSV files are kept as text). */
export const ClassLabelSchema = z.string().min(1).max(128);

/**
 * Variants of an experiment. The platform runs `champion` and `challenger`; experiments may name
 * other arms with the same rules as names (lower-case, at most 32 characters).
 */
export const VariantNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, {
  error:
    "must be 1-32 characters of lower-case letters, digits, '_' or '-', starting with a letter",
});
export type VariantName = z.infer<typeof VariantNameSchema>;

/** The two arms every deployment knows. */
export const ServedVariantSchema = z.enum(["champion", "challenger"]);
export type ServedVariant = z.infer<typeof ServedVariantSchema>;

/** Most tags a run (or a version) holds. */
export const MAX_TAGS = 1000;
/** Most params a run (or a version) holds. */
export const MAX_PARAMS = 1000;

/** A key of params, metrics or tags: 1-250 characters (MLflow's limit). */
export const RecordKeySchema = z.string().min(1).max(250);

/**
 * Why `__proto__` is refused as a key of params, metrics or tags: a plain object cannot hold it
 * (assigning it sets the prototype, and zod's records skip it), so it would vanish unseen.
 */
export const PROTO_KEY_RULE = "must not be __proto__ (a JavaScript object cannot hold it as a key)";

/** Parameters as MLflow stores them: scalar values, keys ≤ 250 characters, values ≤ 6000. */
export const ParamsSchema = z
  .record(RecordKeySchema, z.union([z.string().max(6000), z.number(), z.boolean()]))
  .refine((p) => Object.keys(p).length <= MAX_PARAMS, {
    error: `must have at most ${MAX_PARAMS} entries`,
  });
export type Params = z.infer<typeof ParamsSchema>;

/** Named finite metric values (accuracy, log_loss, …). */
export const MetricsSchema = z
  .record(RecordKeySchema, z.number())
  .refine((m) => Object.keys(m).length <= 1000, { error: "must have at most 1000 entries" });
export type Metrics = z.infer<typeof MetricsSchema>;

/** Free-form string tags (MLflow tag values are limited to 8000 characters). */
export const TagsSchema = z
  .record(RecordKeySchema, z.string().max(8000))
  .refine((t) => Object.keys(t).length <= MAX_TAGS, {
    error: `must have at most ${MAX_TAGS} entries`,
  });
export type Tags = z.infer<typeof TagsSchema>;

/** A JSON value (for evidence attached to decisions and analyses). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };
export const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string().max(MAX_TEXT),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonValueSchema).max(10_000),
    z.record(z.string().max(256), JsonValueSchema),
  ]),
);
