/** Served GARCH fits: loading a registered fit and turning its forecast into the API's path. */
import { GarchFit } from "@mlops/garch";
import type { LoadedArtifact } from "./artifacts.js";

/** Conditional variance and volatility for steps 1..horizon. */
export interface ForecastPath {
  readonly horizon: number;
  readonly variance: number[];
  readonly volatility: number[];
}

/** Restores the fit stored in a verified artifact of kind `garch`. */
export function loadGarch(artifact: LoadedArtifact): GarchFit {
  if (artifact.manifest.kind !== "garch") {
    throw new Error(`model ${artifact.manifest.name}@${artifact.manifest.version} is not GARCH`);
  }
  return GarchFit.fromJSON(JSON.parse(artifact.model.toString("utf8")));
}

/** The analytic variance forecast of `fit` and its square root, h = 1..horizon. */
export function forecastPath(fit: GarchFit, horizon: number): ForecastPath {
  const variance = [...fit.forecast(horizon).variance];
  return { horizon, variance, volatility: variance.map(Math.sqrt) };
}
