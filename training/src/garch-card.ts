import type { ModelManifest } from "@mlops/contracts";
import {
  type Candidate,
  type GarchFit,
  type LjungBoxResult,
  residualDiagnostics,
} from "@mlops/garch";
import { escapeCell as esc, lineageSection, markdownTable as table } from "./markdown.js";

/** What a GARCH model card is written from. */
export interface GarchCardInput {
  readonly manifest: ModelManifest;
  readonly fit: GarchFit;
  /** Every candidate of the order selection, in grid order. */
  readonly candidates: readonly Candidate[];
  readonly criterion: "aic" | "bic";
  /** Where the returns came from, as the user gave it. */
  readonly dataSource: string;
}

/** Ljung–Box lags the card reports (the usual 10 and 20 of daily-returns practice). */
const LAGS = [10, 20] as const;
/** Below this p-value a Ljung–Box test counts as evidence of structure the model left behind. */
const ALPHA = 0.05;

/**
 * A Markdown model card for a GARCH version: the selected order and distribution, parameters
 * with robust (Bollerslev–Wooldridge) standard errors and p-values, log-likelihood, AIC/BIC, the
 * order-selection table, Ljung–Box diagnostics of the standardised residuals and their squares,
 * lineage, intended use and limits.
 */
export function renderGarchCard({
  manifest,
  fit,
  candidates,
  criterion,
  dataSource,
}: GarchCardInput): string {
  const { p, q, dist } = fit.spec;
  // An AR mean has no standardised residual for its first lags (NaN): leave those out.
  const z = Array.from(fit.standardizedResiduals).filter((v) => !Number.isNaN(v));
  const diagnostics = residualDiagnostics(z, [...LAGS]);
  const series = manifest.feature_schema.kind === "garch" ? manifest.feature_schema.series : "";
  const lb = (what: string, r: LjungBoxResult) => [
    what,
    String(r.lags),
    r.statistic.toFixed(3),
    r.pValue.toFixed(4),
    r.pValue < ALPHA ? "structure left (p < 0.05)" : "none detected",
  ];
  return `# Model card: ${manifest.name} v${manifest.version}

A GARCH(${p},${q}) volatility model with ${dist} innovations, fitted by maximum likelihood to \`${esc(series)}\` (${fit.nobs} observations). The model file is \`GarchFit.toJSON()\` (\`${manifest.model_file}\`), which \`GarchFit.fromJSON\` restores to forecast.

## Data

- Source: \`${esc(dataSource)}\`, column \`${esc(series)}\`, SHA-256 \`${manifest.data_hash}\`

## Fit

${table(
  ["statistic", "value"],
  [
    ["log-likelihood", fit.logLikelihood.toFixed(4)],
    ["AIC", fit.aic.toFixed(4)],
    ["BIC", fit.bic.toFixed(4)],
    ["parameters", String(fit.numParams)],
    ["converged", fit.converged ? `yes (${fit.iterations} iterations)` : "no"],
  ],
)}

Parameters (robust Bollerslev–Wooldridge standard errors; p-values two-sided under the normal):

${table(
  ["parameter", "estimate", "std. error", "p-value"],
  fit.paramNames.map((name) => [
    name,
    fmt(statOf(fit.params, name)),
    fmt(statOf(fit.stdErrors.robust, name)),
    fmt(statOf(fit.pValues.robust, name)),
  ]),
)}

## Order selection

Every candidate below was fitted; the converged one with the lowest ${criterion.toUpperCase()} was kept.

${table(
  ["p", "q", "distribution", "log-likelihood", "AIC", "BIC", "converged"],
  candidates.map((c) => [
    String(c.p),
    String(c.q),
    c.dist,
    fmt(c.logLikelihood),
    fmt(c.aic),
    fmt(c.bic),
    c.converged ? "yes" : `no: ${c.message}`,
  ]),
)}

## Residual diagnostics (Ljung–Box)

${table(
  ["series", "lags", "Q", "p-value", "reading"],
  [
    ...diagnostics.residuals.map((r) => lb("standardised residuals z", r)),
    ...diagnostics.squaredResiduals.map((r) => lb("squared residuals z²", r)),
  ],
)}

Autocorrelation in z means the mean model missed structure; in z² that volatility clustering is left that the variance model did not capture.

${lineageSection(manifest)}

## Intended use

Forecasting the conditional variance (volatility) of \`${esc(series)}\` a few steps past the end of the sample, in the units of the series, e.g. for risk limits or position sizing alongside other measures.

## Limits

- The forecast starts from the end of the fitted sample: refit as new returns arrive, or the forecast goes stale.
- Multi-step forecasts revert to the unconditional variance; they say little beyond a few weeks.
- The innovation distribution was chosen from the candidates above; tails heavier than it allows make the model understate extreme moves.
- Structural breaks (regime changes, crises) violate the constant-parameter assumption; the diagnostics above only test autocorrelation.
- It models volatility, not the direction of returns.
`;
}

/** A parameter's entry in a named record: `omega`, or `alpha[2]` for the second alpha. */
function statOf(record: object, name: string): number | undefined {
  const [, key = name, index] = /^([a-z]+)\[(\d+)\]$/.exec(name) ?? [];
  const value = (record as Record<string, unknown>)[key];
  if (index !== undefined) return Array.isArray(value) ? value[Number(index) - 1] : undefined;
  return typeof value === "number" ? value : undefined;
}

function fmt(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "–" : value.toPrecision(5);
}
