/**
 * Stack configuration, parsed once with zod at the edge of the Pulumi program and checked with
 * the same schema by every CLI that reads a stack file. Every error names the config key
 * (`mlops-platform:ml.minNodes`) and the rule that failed, so a platform engineer can fix the
 * stack file without reading this code.
 */
import type { z } from "zod";
import { type StackConfig, StackConfigSchema } from "./stack-schema.js";
import { undeclaredKeys } from "./undeclared-keys.js";

/** The keys the program reads from its own config namespace (everything but `location`). */
const programKeys = Object.keys(StackConfigSchema.shape).filter((k) => k !== "location");

/** Raised for stack config that fails validation; the message lists every offending key. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
}

/**
 * Where config values come from: Pulumi's config store in a program, a stack file's values
 * (stack-file.ts), a plain map in tests. Values are the strings Pulumi stores: structured YAML
 * values arrive as JSON text.
 */
export interface ConfigSource {
  /** The raw string for `key` in the program's namespace, or undefined when unset. */
  get(key: string): string | undefined;
  /** The Azure region (`azure-native:location`), or undefined when unset. */
  location(): string | undefined;
  /** Every key set in the program's namespace, when the source can list them. */
  keys?(): readonly string[];
}

/** The zod type of `schema` under its `optional`, `default` and `prefault` wrappers. */
function baseType(schema: z.core.$ZodType): string {
  const def = schema._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType };
  return def.innerType ? baseType(def.innerType) : def.type;
}

/** Each program key's zod type: `string`, `number`, `boolean`, `object`, … */
const keyTypes: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(StackConfigSchema.shape).map(([key, schema]) => [key, baseType(schema)]),
);

/**
 * A raw value as its key's schema reads it. Pulumi hands every value over as a string: a string
 * as itself (so "1234" or "true" set as a string stays one), a number or boolean as its text (what
 * `getNumber` and `getBoolean` parse), an object or array (structured YAML, `--path`) as JSON.
 */
function decode(raw: string, type: string | undefined): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return raw;
  }
  return (typeof value === "object" && value !== null) || typeof value === type ? value : raw;
}

/**
 * The values of `keys` from `source`, each as the program reads it: `location` as the text Pulumi
 * hands over, the program's own keys decoded as their schema types them.
 */
export function readConfigValues(
  source: ConfigSource,
  keys: readonly string[],
): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    if (key === "location") {
      raw[key] = source.location();
      continue;
    }
    const value = source.get(key);
    if (value !== undefined) raw[key] = decode(value, keyTypes[key]);
  }
  return raw;
}

/** The config key a path names: `<project>:<head>.<rest>`, the region `azure-native:location`. */
export function configKeyOf(project: string, [head, ...rest]: readonly string[]): string {
  const namespace = head === "location" ? "azure-native" : project;
  return [`${namespace}:${head}`, ...rest].join(".");
}

/** An issue's rule, as a line after its key names it: a value left out "is required". */
export const issueRule = (issue: z.core.$ZodIssue): string =>
  issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;

/** The path of `paths` that `path` lies at or under, if any. */
export const enclosingPath = (
  path: readonly string[],
  paths: readonly (readonly string[])[],
): readonly string[] | undefined => paths.find((at) => at.every((key, i) => path[i] === key));

/** The parsed config, if it parsed, and one line per offending key (`  <key>: <rule>`). */
interface Inspection {
  readonly result: z.ZodSafeParseResult<StackConfig>;
  readonly lines: readonly string[];
}

/**
 * Parses `source` for project `project`, listing each bad key. Issues at or under a path of
 * `unreadable` (values the source holds encrypted) are left out: only the program, which reads
 * them decrypted, can check them.
 */
function inspect(
  source: ConfigSource,
  project: string,
  unreadable: readonly (readonly string[])[],
): Inspection {
  const raw = readConfigValues(source, ["location", ...programKeys]);
  const result = StackConfigSchema.safeParse(raw, { reportInput: true });
  // A key the program does not read is a misspelling or a leftover: zod would drop it, and its
  // setting would silently keep the default.
  const undeclared = [
    ...(source.keys?.() ?? []).filter((key) => !programKeys.includes(key)).map((key) => [key]),
    ...undeclaredKeys(StackConfigSchema, raw),
  ];
  const readable = (path: readonly string[]) => enclosingPath(path, unreadable) === undefined;
  const keyOf = (path: readonly string[]) => configKeyOf(project, path);
  const lines = [
    ...(result.success ? [] : result.error.issues)
      .map((issue) => ({ issue, path: issue.path.map(String) }))
      .filter(({ path }) => readable(path))
      .map(({ issue, path }) => `  ${keyOf(path)}: ${issueRule(issue)}`),
    ...undeclared
      .filter(readable)
      .map(
        (path) => `  ${keyOf(path)}: is not a setting of this program (misspelt, or left over?)`,
      ),
  ];
  return { result, lines };
}

const errorOf = (lines: readonly string[]) =>
  new StackConfigError(`invalid stack config:\n${lines.join("\n")}`);

/** Parses stack config for project `project`, throwing a StackConfigError naming each bad key. */
export function parseStackConfig(source: ConfigSource, project: string): StackConfig {
  const { result, lines } = inspect(source, project, []);
  if (result.success && lines.length === 0) return result.data;
  throw errorOf(lines);
}

/**
 * Checks stack config for project `project` as `parseStackConfig` does, throwing the same
 * StackConfigError, but leaves out the values at `encrypted` (secrets read without the stack's
 * key), which only the program can check.
 */
export function checkStackConfig(
  source: ConfigSource,
  project: string,
  encrypted: readonly (readonly string[])[],
): void {
  const { lines } = inspect(source, project, encrypted);
  if (lines.length > 0) throw errorOf(lines);
}
