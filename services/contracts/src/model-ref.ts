/**
 * Model references as users write them: `name` (the latest version), `name@3` (a version) or
 * `name@champion` (an alias). Deployments must pin: `PinnedModelRefSchema` refuses a bare name.
 */
import { z } from "zod";
import { NameSchema, VersionSchema } from "./primitives.js";

/**
 * Alias names: lower-case, start with a letter, at most 32 characters. `latest` is reserved (a
 * bare name already means the latest version) and so is `v<digits>` (MLflow reserves it).
 */
export const AliasSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, {
    error:
      "must be 1-32 characters of lower-case letters, digits, '_' or '-', starting with a letter",
  })
  .refine((a) => a !== "latest" && !/^v\d+$/.test(a), {
    error: "'latest' and 'v<number>' are reserved and cannot be aliases",
  });
export type Alias = z.infer<typeof AliasSchema>;

/** The well-known aliases the promotion flow moves. */
export const CHAMPION = "champion";
export const CHALLENGER = "challenger";

/** A parsed model reference. */
export type ModelRef =
  | { readonly name: string; readonly selector: "latest" }
  | { readonly name: string; readonly selector: "version"; readonly version: number }
  | { readonly name: string; readonly selector: "alias"; readonly alias: string };

const REF_SHAPE = /^([^@]*)(?:@(.*))?$/s;

function toModelRef(text: string, ctx: z.RefinementCtx, pinned: boolean): ModelRef {
  const [, rawName = "", sel] = REF_SHAPE.exec(text) ?? [];
  const name = NameSchema.safeParse(rawName);
  if (!name.success) {
    ctx.addIssue({ code: "custom", message: `model name ${name.error.issues[0]?.message}` });
    return z.NEVER;
  }
  if (sel === undefined) {
    if (pinned) {
      ctx.addIssue({
        code: "custom",
        message: "must pin a version or alias: 'name@version' or 'name@alias'",
      });
      return z.NEVER;
    }
    return { name: name.data, selector: "latest" };
  }
  if (/^\d+$/.test(sel)) {
    const version = VersionSchema.safeParse(Number(sel));
    if (!version.success) {
      ctx.addIssue({ code: "custom", message: "version must be an integer from 1 to 1000000000" });
      return z.NEVER;
    }
    return { name: name.data, selector: "version", version: version.data };
  }
  const alias = AliasSchema.safeParse(sel);
  if (!alias.success) {
    ctx.addIssue({ code: "custom", message: `alias ${alias.error.issues[0]?.message}` });
    return z.NEVER;
  }
  return { name: name.data, selector: "alias", alias: alias.data };
}

/**
 * A reference as a request posts it (`name`, `name@version` or `name@alias`), kept as text: the
 * server resolves it against the registry and names what does not match.
 */
export const ModelRefTextSchema = z.string().min(1).max(128);

/** `name`, `name@version` or `name@alias` → `ModelRef`. */
export const ModelRefSchema = z
  .string()
  .max(128)
  .transform((text, ctx) => toModelRef(text, ctx, false));

/** `name@version` or `name@alias` → `ModelRef` (no implicit latest). */
export const PinnedModelRefSchema = z
  .string()
  .max(128)
  .transform((text, ctx) => toModelRef(text, ctx, true));

/** The text form of a reference; `parse(formatModelRef(r))` gives `r` back. */
export function formatModelRef(ref: ModelRef): string {
  switch (ref.selector) {
    case "latest":
      return ref.name;
    case "version":
      return `${ref.name}@${ref.version}`;
    case "alias":
      return `${ref.name}@${ref.alias}`;
  }
}

/**
 * A pinned reference kept as text (`name@version` / `name@alias`), for records and config that
 * store the reference as written.
 */
export const PinnedModelRefTextSchema = z
  .string()
  .max(128)
  .superRefine((text, ctx) => {
    toModelRef(text, ctx, true);
  });
