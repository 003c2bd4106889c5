import { readFileSync } from "node:fs";
import { pulumiConfigValue } from "@mlops/contracts";
import { parse } from "yaml";

/** The shipped prod stack file, relative to this module. */
const PROD_STACK_FILE = new URL("../../Pulumi.prod.yaml", import.meta.url);

/**
 * A stack file's config as Pulumi hands it to a program: `namespace:key` → string, with
 * structured values as JSON text.
 */
export function stackFileConfig(file: URL = PROD_STACK_FILE): Record<string, string> {
  const doc = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(doc.config).map(([key, value]) => [key, pulumiConfigValue(value)]),
  );
}
