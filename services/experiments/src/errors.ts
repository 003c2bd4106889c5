/** Why an input to the A/B statistics was rejected. Stable codes that callers (CLI, HTTP) can map. */
export type ExperimentsErrorCode =
  | "EMPTY"
  | "TOO_FEW"
  | "NON_FINITE"
  | "NEGATIVE"
  | "NOT_POSITIVE"
  | "NOT_INTEGER"
  | "LENGTH_MISMATCH"
  | "OUT_OF_RANGE"
  | "DEGENERATE"
  | "UNKNOWN_VARIANT"
  | "UNKNOWN_EXPERIMENT"
  | "CONCLUDED"
  | "INVALID_URL";

/**
 * Bad input to the A/B statistics: `argument` names the offending argument (or field path) and
 * the message states the rule it broke, so a caller can fix the input without reading code.
 */
export class ExperimentsInputError extends Error {
  override readonly name = "ExperimentsInputError";
  constructor(
    readonly code: ExperimentsErrorCode,
    readonly argument: string,
    rule: string,
  ) {
    super(`${argument}: ${rule}`);
  }
}
