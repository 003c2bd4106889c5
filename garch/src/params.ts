/**
 * The flat parameter vector θ and its named form. Each part of the model owns a slice:
 *
 *   θ = [ mean (mu | mu, ar[1..k]) | omega (absent under variance targeting)
 *       | alpha[1..p] | beta[1..q] | shape (nu | nu, lambda) ]
 */
import { GarchInputError } from "./errors.js";
import { formatValue } from "./format.js";
import { meanParamCount, shapeParamCount } from "./spec.js";
import type { GarchParams, GarchSpec, ParamStat } from "./types.js";

/** Offsets of each slice of θ; `omega` is -1 under variance targeting. */
export interface Layout {
  readonly nMean: number;
  readonly omega: number;
  readonly alpha: number;
  readonly beta: number;
  readonly shape: number;
  readonly nShape: number;
  /** Total length of θ. */
  readonly k: number;
}

export function layoutOf(spec: GarchSpec): Layout {
  const nMean = meanParamCount(spec.mean);
  const omega = spec.varianceTargeting ? -1 : nMean;
  const alpha = nMean + (spec.varianceTargeting ? 0 : 1);
  const beta = alpha + spec.p;
  const shape = beta + spec.q;
  const nShape = shapeParamCount(spec.dist);
  return { nMean, omega, alpha, beta, shape, nShape, k: shape + nShape };
}

/** Names of the entries of θ, for tables: "mu", "ar[1]", "omega", "alpha[1]", "beta[1]", "nu", "lambda". */
export function paramNames(spec: GarchSpec): string[] {
  const names: string[] = [];
  if (spec.mean.kind !== "zero") names.push("mu");
  if (spec.mean.kind === "ar") for (let i = 1; i <= spec.mean.lags; i++) names.push(`ar[${i}]`);
  if (!spec.varianceTargeting) names.push("omega");
  for (let i = 1; i <= spec.p; i++) names.push(`alpha[${i}]`);
  for (let j = 1; j <= spec.q; j++) names.push(`beta[${j}]`);
  if (spec.dist !== "normal") names.push("nu");
  if (spec.dist === "skewt") names.push("lambda");
  return names;
}

/**
 * Named parameters from θ. Under variance targeting omega is not in θ: pass the value implied
 * by the data (`targetOmega`), or NaN for per-parameter statistics where it has none.
 */
export function toParams(
  spec: GarchSpec,
  theta: ArrayLike<number>,
  targetOmega = Number.NaN,
): GarchParams {
  const l = layoutOf(spec);
  const slice = (from: number, len: number) => {
    const out = new Array<number>(len);
    for (let i = 0; i < len; i++) out[i] = theta[from + i]!;
    return out;
  };
  // Built key by key in the order above (a fit makes a dozen of these: spreads cost more).
  const params: { -readonly [K in keyof GarchParams]: GarchParams[K] } = {} as GarchParams;
  if (spec.mean.kind !== "zero") params.mu = theta[0]!;
  if (spec.mean.kind === "ar") params.ar = slice(1, spec.mean.lags);
  params.omega = l.omega >= 0 ? theta[l.omega]! : targetOmega;
  params.alpha = slice(l.alpha, spec.p);
  params.beta = slice(l.beta, spec.q);
  if (l.nShape > 0) params.nu = theta[l.shape]!;
  if (l.nShape > 1) params.lambda = theta[l.shape + 1]!;
  return params;
}

function need(field: string, value: unknown, strict: boolean): number {
  if (!strict) return typeof value === "number" ? value : Number.NaN;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new GarchInputError(
      "INVALID_PARAMS",
      `params.${field} must be a finite number (got ${formatValue(value)})`,
    );
  }
  return value;
}

function needArray(field: string, value: unknown, length: number, strict: boolean): number[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw new GarchInputError(
      "INVALID_PARAMS",
      `params.${field} must be an array of ${length} numbers for this model (got ${formatValue(value)})`,
    );
  }
  return value.map((v, i) => need(`${field}[${i}]`, v, strict));
}

/**
 * θ from named parameters, checking that every key the spec needs is present and finite
 * (values are not checked against the constraints: a likelihood can be evaluated anywhere the
 * variance stays positive). Under variance targeting `omega` is ignored. With `strict` false
 * (per-parameter statistics, which may be NaN), missing or non-numeric scalars become NaN.
 * @throws GarchInputError INVALID_PARAMS naming the field.
 */
export function fromParams(
  spec: GarchSpec,
  params: GarchParams | ParamStat,
  strict = true,
): Float64Array {
  if (typeof params !== "object" || params === null) {
    throw new GarchInputError("INVALID_PARAMS", "params must be an object");
  }
  const l = layoutOf(spec);
  const theta = new Float64Array(l.k);
  if (spec.mean.kind !== "zero") theta[0] = need("mu", params.mu, strict);
  if (spec.mean.kind === "ar") theta.set(needArray("ar", params.ar, spec.mean.lags, strict), 1);
  if (l.omega >= 0) theta[l.omega] = need("omega", params.omega, strict);
  theta.set(needArray("alpha", params.alpha, spec.p, strict), l.alpha);
  theta.set(needArray("beta", params.beta, spec.q, strict), l.beta);
  if (l.nShape > 0) theta[l.shape] = need("nu", params.nu, strict);
  if (l.nShape > 1) theta[l.shape + 1] = need("lambda", params.lambda, strict);
  return theta;
}
