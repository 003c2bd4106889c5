/**
 * @mlops/garch: univariate GARCH(p,q) estimation, forecasting and simulation in pure
 * TypeScript. Order convention: p = number of ARCH terms (alpha), q = number of GARCH terms
 * (beta).
 */

export type { ActiveConstraint } from "./at-bound.js";
export {
  type LjungBoxOptions,
  type LjungBoxResult,
  ljungBox,
  type ResidualDiagnostics,
  residualDiagnostics,
} from "./diagnostics.js";
export { type GarchErrorCode, GarchInputError } from "./errors.js";
export { FIT_FORMAT, fit, GarchFit, type GarchFitJson } from "./fit.js";
export { forecast, MAX_HORIZON } from "./forecast.js";
export { logLikelihood } from "./likelihood.js";
export { paramNames } from "./params.js";
export { checkSeed, deriveSeed, Random } from "./random.js";
export {
  type Candidate,
  checkSelection,
  type Selection,
  type SelectOptions,
  selectOrder,
} from "./select.js";
export { type SimulateOptions, type Simulation, simulate } from "./simulate.js";
export {
  checkSeries,
  checkSpec,
  MAX_AR_LAGS,
  MAX_ORDER,
  MAX_SERIES_LENGTH,
  minimumLength,
} from "./spec.js";
export type * from "./types.js";
