/** A served GARCH fit's forecast as the API returns it. */
import type { GarchFit } from "@mlops/garch";

/** Conditional variance and volatility for steps 1..horizon. */
export interface ForecastPath {
  readonly horizon: number;
  readonly variance: number[];
  readonly volatility: number[];
}

/** The analytic variance forecast of `fit` and its square root, h = 1..horizon. */
export function forecastPath(fit: GarchFit, horizon: number): ForecastPath {
  const variance = [...fit.forecast(horizon).variance];
  return { horizon, variance, volatility: variance.map(Math.sqrt) };
}
