/**
 * A stack file's values (the `config` of `Pulumi.<stack>.yaml`) as Pulumi hands them to the
 * program, so a CLI that reads a stack file refuses what `pulumi up` would refuse, with the
 * program's own schema and messages.
 */
import { type ConfigSource, checkStackConfig } from "./stack-parse.js";

/** The region's key: the Azure provider's namespace, not the program's. */
const LOCATION_KEY = "azure-native:location";

/** A stack file's `config`: `<namespace>:<key>` → the value its YAML holds. */
export type StackFileConfig = Readonly<Record<string, unknown>>;

/** A value as Pulumi hands it to a program: a string as itself, anything else as JSON text. */
export const pulumiConfigValue = (value: unknown): string =>
  typeof value === "string" ? value : JSON.stringify(value);

/** A value `pulumi config set --secret` wrote: `{ secure: <ciphertext> }`. */
const isEncrypted = (value: unknown): boolean =>
  typeof value === "object" &&
  value !== null &&
  Object.keys(value).length === 1 &&
  typeof (value as { secure?: unknown }).secure === "string";

/** The paths (from `at`) of the encrypted values in `value`, at any depth. */
function encryptedPaths(value: unknown, at: readonly string[]): string[][] {
  if (isEncrypted(value)) return [[...at]];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => encryptedPaths(item, [...at, key]));
}

/**
 * A stack file's values for project `project` as the program's config source, and the paths
 * (from the program's keys) of the values encrypted in it.
 */
export function stackFileSource(
  config: StackFileConfig,
  project: string,
): { readonly source: ConfigSource; readonly encrypted: readonly string[][] } {
  const prefix = `${project}:`;
  const own = Object.keys(config).filter((key) => key.startsWith(prefix));
  const read = (key: string) => {
    const value = config[key];
    return value === undefined ? undefined : pulumiConfigValue(value);
  };
  const source: ConfigSource = {
    get: (key) => read(`${prefix}${key}`),
    location: () => read(LOCATION_KEY),
    keys: () => own.map((key) => key.slice(prefix.length)),
  };
  const encrypted = own.flatMap((key) => encryptedPaths(config[key], [key.slice(prefix.length)]));
  return { source, encrypted };
}

/**
 * Checks a stack file's values for project `project` with the program's schema (stack-schema.ts),
 * throwing the StackConfigError `pulumi up` would fail with. Encrypted values are left out: their
 * rules need the stack's key, and the program checks them decrypted.
 */
export function checkStackFile(config: StackFileConfig, project: string): void {
  const { source, encrypted } = stackFileSource(config, project);
  checkStackConfig(source, project, encrypted);
}
