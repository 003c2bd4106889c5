/**
 * Rendering a rejected value inside an error message. Input that fails validation can be
 * anything, and the obvious `String(value)` / `JSON.stringify(value)` themselves throw a
 * TypeError on some of it (objects without a prototype, BigInt inside JSON, cycles), which would
 * replace the GarchInputError the caller should see.
 */

/** Longest rendering kept: a rejected 10^6-element array must not become a 10 MB message. */
const MAX_LENGTH = 80;

/** A short, never-throwing rendering of any value: JSON where possible, quoted strings. */
export function formatValue(value: unknown): string {
  switch (typeof value) {
    case "number":
    case "boolean":
    case "undefined":
    case "symbol":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "function":
      return "a function";
    default:
      return truncate(toJson(value) ?? Object.prototype.toString.call(value));
  }
}

function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function truncate(text: string): string {
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 3)}...` : text;
}
