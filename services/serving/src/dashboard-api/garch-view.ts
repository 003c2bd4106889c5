/**
 * The GARCH panel: a registered fit's conditional volatility over the end of its sample, and the
 * analytic forecast after it with a central band for the return, mean ± z·σ at each step.
 */

import type { GarchParams } from "@mlops/garch";
import quantile from "@stdlib/stats-base-dists-normal-quantile";
import type { ServedGarch } from "../models/served.js";
import type { GarchView } from "./schemas.js";

/** Level of the forecast band. */
const BAND_LEVEL = 0.95;

/** Parameters by the names the GARCH core reports them under ("alpha[1]", …). */
function namedParams(p: GarchParams): Record<string, number> {
  const out: Record<string, number> = {};
  const each = (name: string, xs: readonly number[] = []) => {
    for (const [i, x] of xs.entries()) out[`${name}[${i + 1}]`] = x;
  };
  if (p.mu !== undefined) out.mu = p.mu;
  each("ar", p.ar);
  out.omega = p.omega;
  each("alpha", p.alpha);
  each("beta", p.beta);
  if (p.nu !== undefined) out.nu = p.nu;
  if (p.lambda !== undefined) out.lambda = p.lambda;
  return out;
}

/** The last `history` fitted volatilities and a `horizon`-step forecast of `served`. */
export function garchView(served: ServedGarch, history: number, horizon: number): GarchView {
  const { fit } = served;
  const variance = fit.conditionalVariance;
  const first = Math.max(0, variance.length - history);
  const forecast = fit.forecast(horizon);
  const volatility = forecast.variance.map(Math.sqrt);
  // A normal quantile for every distribution: the band shows the scale of the forecast, and the
  // standardised innovations all have variance 1.
  const z = quantile(1 - (1 - BAND_LEVEL) / 2, 0, 1);
  const { spec } = fit;
  return {
    model: { name: served.name, version: served.version },
    spec: {
      p: spec.p,
      q: spec.q,
      dist: spec.dist,
      mean: spec.mean.kind === "ar" ? `ar(${spec.mean.lags})` : spec.mean.kind,
    },
    params: namedParams(fit.params),
    converged: fit.converged,
    nobs: fit.nobs,
    fitted: {
      first_index: first,
      volatility: Array.from(variance.subarray(first), (h) =>
        Number.isFinite(h) ? Math.sqrt(h) : null,
      ),
    },
    forecast: {
      volatility,
      mean: [...forecast.mean],
      lower: forecast.mean.map((m, i) => m - z * volatility[i]!),
      upper: forecast.mean.map((m, i) => m + z * volatility[i]!),
      level: BAND_LEVEL,
    },
  };
}
