/** Flag readers of the `smoke` and `release` commands: each error names the flag and the rule. */
import { HTTP_TOKEN, ModelRefSchema, parseServiceUrl } from "@mlops/contracts";
import { InvalidArgumentError } from "commander";

/** A parser of `flag`: a duration in seconds, in (0, most]. */
export function secondsFlag(flag: string, most: number) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0 || n > most) {
      throw new InvalidArgumentError(
        `${flag} must be seconds in (0, ${most}] (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

/** `--header-name`: an HTTP header field name. */
export function headerName(text: string): string {
  if (!HTTP_TOKEN.test(text)) {
    throw new InvalidArgumentError(
      `--header-name must be an HTTP header name: letters, digits and !#$%&'*+-.^_\`|~ (got ${JSON.stringify(text)})`,
    );
  }
  return text;
}

/** `--garch-model`: a model reference (NAME, NAME@VERSION or NAME@ALIAS), kept as written. */
export function garchModelFlag(text: string): string {
  const ref = ModelRefSchema.safeParse(text);
  if (!ref.success) {
    throw new InvalidArgumentError(
      `--garch-model ${ref.error.issues[0]?.message ?? "must be NAME, NAME@VERSION or NAME@ALIAS"} (got ${JSON.stringify(text)})`,
    );
  }
  return text;
}

/**
 * `--url`: a service's base URL (`parseServiceUrl`), as its href. Read in the action, not as
 * commander's parser: commander quotes a refused argument, and this one may hold a password.
 */
export function serviceUrlFlag(text: string): string {
  const parsed = parseServiceUrl(text);
  if (!parsed.ok) throw new Error(`--url ${parsed.rule}`);
  return parsed.url.href;
}

/** A non-empty JSON array of finite numbers: one feature row. */
export function featureRow(text: string): number[] {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    row = undefined;
  }
  if (!Array.isArray(row) || row.length === 0 || !row.every((x) => Number.isFinite(x))) {
    throw new InvalidArgumentError(`--features must be a JSON array of numbers (got ${text})`);
  }
  return row;
}

/** A canary weight: an integer percent in 0-100. */
export function percent(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 100) {
    throw new InvalidArgumentError(
      `--canary-weight must be an integer in 0-100 (got ${JSON.stringify(text)})`,
    );
  }
  return n;
}
