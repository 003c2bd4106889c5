/**
 * One way to report invalid input at every edge (HTTP, CLI, env, files): each issue names the
 * field path and the rule it broke, so a caller can fix the input without reading code.
 */
import type { ZodError, ZodType, z } from "zod";

/** One broken rule: `path` is the field (`features[3]`, `variants[0].weight`, `PORT`). */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Most issues an error lists; the rest are only counted. A body of 300 bad numbers breaks 300
 * rules, and listing them all would outgrow any reply or log line.
 */
export const MAX_LISTED_ISSUES = 10;
/**
 * Longest path or rule text an issue shows: an unrecognized key is quoted in its rule, and a
 * client decides how long that key is. With MAX_LISTED_ISSUES this keeps a message under MAX_TEXT.
 */
export const MAX_ISSUE_TEXT = 160;

/** `text` cut to `max` characters, marked with an ellipsis when cut. */
export function truncateText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first MAX_LISTED_ISSUES issues, each path and rule cut to MAX_ISSUE_TEXT. */
export function listedIssues(issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues.slice(0, MAX_LISTED_ISSUES).map((issue) => ({
    path: truncateText(issue.path, MAX_ISSUE_TEXT),
    message: truncateText(issue.message, MAX_ISSUE_TEXT),
  }));
}

/**
 * Thrown by `parseOrThrow`; `issues` lists every broken rule, `message` joins the listed ones
 * (`listedIssues`) and counts the rest.
 */
export class ContractValidationError extends Error {
  override readonly name = "ContractValidationError";
  constructor(
    /** What was being validated, e.g. "POST /predict body" or "serving config". */
    readonly subject: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    const listed = listedIssues(issues);
    const more = issues.length - listed.length;
    super(
      `${subject} is invalid: ${listed.map(formatIssue).join("; ")}${more > 0 ? `; and ${more} more` : ""}`,
    );
  }
}

/** `a.b[2].c` from a zod path; the root itself is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

function formatIssue(issue: ValidationIssue): string {
  return `${issue.path}: ${issue.message}`;
}

/** The issues of a ZodError as `{path, message}` pairs, in zod's order. */
export function zodIssues(error: ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
}

/** "path: rule; path: rule" for a ZodError, for logs and CLI output. */
export function formatZodError(error: ZodError): string {
  return zodIssues(error).map(formatIssue).join("; ");
}

/**
 * Parse `input` with `schema`, or throw a `ContractValidationError` naming `subject`, each
 * field path and each rule.
 */
export function parseOrThrow<S extends ZodType>(
  schema: S,
  input: unknown,
  subject: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ContractValidationError(subject, zodIssues(result.error));
  return result.data;
}
