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

/** Thrown by `parseOrThrow`; `issues` lists every broken rule, `message` joins them. */
export class ContractValidationError extends Error {
  override readonly name = "ContractValidationError";
  constructor(
    /** What was being validated, e.g. "POST /predict body" or "serving config". */
    readonly subject: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(`${subject} is invalid: ${issues.map(formatIssue).join("; ")}`);
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
