/** Why an input was rejected. Stable codes that callers (CLI, HTTP API) can map. */
export type GarchErrorCode =
  | "EMPTY_SERIES"
  | "TOO_SHORT"
  | "NON_FINITE"
  | "CONSTANT_SERIES"
  | "OUT_OF_RANGE"
  | "INVALID_ORDER"
  | "INVALID_OPTION"
  | "INVALID_PARAMS"
  | "INVALID_JSON"
  | "NO_CONVERGENCE";

/**
 * Bad input to the GARCH core: a series, an order, an option or stored JSON that cannot be
 * used. The message names the field and the rule. Numerical trouble while estimating one model
 * is not an error: it is reported on the fit (`converged`, `message`); NO_CONVERGENCE is for a
 * search (order selection) in which no candidate converged, so there is nothing to return.
 */
export class GarchInputError extends Error {
  override readonly name = "GarchInputError";
  constructor(
    readonly code: GarchErrorCode,
    message: string,
  ) {
    super(message);
  }
}
