/**
 * What `garch fit` and `garch select` print: the JSON contract other tools script against, and
 * a readable summary for people.
 */
import type {
  Candidate,
  CovarianceKind,
  Forecast,
  GarchFit,
  GarchParams,
  GarchSpec,
  ParamStat,
} from "../src/index.js";

const PARAM_ORDER = ["mu", "ar", "omega", "alpha", "beta", "nu", "lambda"] as const;
const SE_KINDS: readonly CovarianceKind[] = ["hessian", "opg", "robust"];

/** Copies the named parameters (or per-parameter statistics) in a fixed key order. */
function ordered(p: GarchParams | ParamStat): Record<string, number | readonly number[]> {
  const out: Record<string, number | readonly number[]> = {};
  for (const key of PARAM_ORDER) {
    const value = p[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function meanLabel(spec: GarchSpec): string {
  return spec.mean.kind === "ar" ? `ar:${spec.mean.lags}` : spec.mean.kind;
}

export function initLabel(spec: GarchSpec): string | number {
  return spec.init.kind === "fixed" ? spec.init.value : spec.init.kind;
}

/** The `garch fit --json` object (NaN statistics serialise as null). */
export function fitJson(fit: GarchFit, fitMs: number, forecast: Forecast) {
  const { spec } = fit;
  return {
    model: { p: spec.p, q: spec.q, mean: meanLabel(spec), dist: spec.dist, init: initLabel(spec) },
    params: ordered(fit.params),
    loglik: fit.logLikelihood,
    aic: fit.aic,
    bic: fit.bic,
    hqic: fit.hqic,
    nobs: fit.nobs,
    se: Object.fromEntries(SE_KINDS.map((kind) => [kind, ordered(fit.stdErrors[kind])])),
    converged: fit.converged,
    projected_gradient: Number.isFinite(fit.projectedGradient) ? fit.projectedGradient : null,
    active_constraints: fit.activeConstraints,
    iterations: fit.iterations,
    message: fit.message,
    fit_ms: fitMs,
    forecast: { mean: [...forecast.mean], variance: [...forecast.variance] },
  };
}

/** Named entries ("mu", "alpha[1]", …) of parameters or of a per-parameter statistic. */
function entries(stat: GarchParams | ParamStat): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of PARAM_ORDER) {
    const value = stat[key];
    if (value === undefined) continue;
    if (typeof value === "number") out.set(key, value);
    else {
      for (const [i, v] of value.entries()) out.set(`${key}[${i + 1}]`, v);
    }
  }
  return out;
}

const num = (x: number, digits = 6) =>
  Number.isFinite(x) ? x.toFixed(digits) : Number.isNaN(x) ? "n/a" : String(x);

/**
 * An estimate, a standard error or a forecast: six decimals where that keeps the digits that
 * matter, else six significant digits in exponent form. Daily returns as fractions have omega
 * near 1e-6 and variances near 1e-4, which six decimals print as 0.000001 and 0.000100.
 */
export const value = (x: number) => {
  const size = Math.abs(x);
  return size === 0 || (size >= 1e-3 && size < 1e9) || !Number.isFinite(x)
    ? num(x)
    : x.toExponential(5);
};

/** Aligns rows of cells into columns (first column left-aligned, the rest right-aligned). */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join("  "),
    )
    .join("\n");
}

/** One candidate of `garch select`'s readable output ("n/a" for the statistics of one that failed). */
export function candidateLine(c: Candidate): string {
  return `  GARCH(${c.p},${c.q}) ${c.dist.padEnd(6)} LL ${num(c.logLikelihood, 3).padStart(12)}  AIC ${num(c.aic, 3).padStart(11)}  BIC ${num(c.bic, 3).padStart(11)}${c.converged ? "" : `  not converged: ${c.message}`}`;
}

/**
 * Why `forecast` cannot be shown, or undefined when it can: an explosive fit (persistence above
 * 1, possible with --stationarity off) has variances that grow geometrically and overflow a
 * double (to Infinity, null in JSON) on a long horizon; an explosive AR mean does the same.
 */
export function forecastOverflow(fit: GarchFit, forecast: Forecast): string | undefined {
  const firstBad = (xs: readonly number[]) => {
    const i = xs.findIndex((x) => !Number.isFinite(x));
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  const variance = firstBad(forecast.variance);
  const mean = firstBad(forecast.mean);
  const step = Math.min(variance, mean);
  if (step === Number.POSITIVE_INFINITY) return undefined;
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const { alpha, beta, ar = [] } = fit.params;
  const [what, cause] =
    variance <= mean
      ? ["variance", `the fit is explosive (alpha+beta = ${value(sum(alpha) + sum(beta))})`]
      : ["mean", `the AR mean is explosive (ar = ${ar.map(value).join(", ")})`];
  const horizon = forecast.variance.length;
  if (step === 0) {
    return `--horizon ${horizon}: the forecast ${what} is not a finite number at step 1`;
  }
  return `--horizon ${horizon}: the forecast ${what} overflows a double after step ${step} because ${cause}; give a --horizon of at most ${step}`;
}

/** The readable summary of one fit and its forecast. */
export function fitSummary(
  fit: GarchFit,
  fitMs: number,
  forecast: Forecast,
  source: string,
): string {
  const { spec } = fit;
  const estimates = entries(fit.params);
  const stat = (m: Map<string, number>, name: string) => m.get(name) ?? Number.NaN;
  const se = Object.fromEntries(SE_KINDS.map((k) => [k, entries(fit.stdErrors[k])])) as Record<
    CovarianceKind,
    Map<string, number>
  >;
  const t = entries(fit.tStats.robust);
  const p = entries(fit.pValues.robust);
  const rows = [["parameter", "estimate", "s.e. robust", "t", "p", "s.e. hessian", "s.e. opg"]];
  for (const [name, estimate] of estimates) {
    rows.push([
      name,
      value(estimate),
      value(stat(se.robust, name)),
      num(stat(t, name), 2),
      num(stat(p, name), 4),
      value(stat(se.hessian, name)),
      value(stat(se.opg, name)),
    ]);
  }
  const horizonRows = [["h", "mean", "variance", "volatility"]];
  forecast.variance.forEach((v, h) => {
    horizonRows.push([String(h + 1), value(forecast.mean[h]!), value(v), value(Math.sqrt(v))]);
  });
  return [
    `GARCH(${spec.p},${spec.q}) · mean ${meanLabel(spec)} · ${spec.dist} innovations · init ${initLabel(spec)} · ${source}, n = ${fit.nobs}`,
    `log-likelihood ${num(fit.logLikelihood)}   AIC ${num(fit.aic, 3)}   BIC ${num(fit.bic, 3)}   HQIC ${num(fit.hqic, 3)}`,
    `${fit.converged ? "converged" : "NOT CONVERGED"} after ${fit.iterations} iterations in ${num(fitMs, 2)} ms, projected gradient ${fit.projectedGradient.toExponential(1)}${fit.message ? ` (${fit.message})` : ""}`,
    ...(fit.activeConstraints.length > 0
      ? [
          `on a bound: ${fit.activeConstraints.map((a) => `${a.name} = ${a.bound} (${a.side})`).join(", ")}`,
        ]
      : []),
    "",
    table(rows),
    "",
    "Forecast from the end of the sample",
    table(horizonRows),
    "",
  ].join("\n");
}
