/**
 * A fit of posted returns and its forecast, on the fitter's thread (fitter.ts): a GARCH(5,5)
 * fit of 20,000 returns takes seconds of CPU, which on the event loop would hold up every
 * prediction the process serves meanwhile.
 */
import { fit, GarchInputError } from "@mlops/garch";
import { forecastPath } from "../models/garch.js";
import type { FitReply, FitRequest } from "./fitter.js";

export default function fitAndForecast({ returns, options, horizon }: FitRequest): FitReply {
  try {
    const fitted = fit(returns, options);
    const { params, logLikelihood, aic, bic, converged } = fitted;
    return {
      fit: { params, logLikelihood, aic, bic, converged },
      path: forecastPath(fitted, horizon),
    };
  } catch (error) {
    // The core names what is wrong with the series or the orders: the client's to fix.
    if (error instanceof GarchInputError) return { invalid: error.message };
    throw error;
  }
}
