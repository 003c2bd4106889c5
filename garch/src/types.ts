/**
 * Public types of the GARCH core.
 *
 * Model (arch's composition): returns r_t = mean_t + e_t, e_t = sqrt(h_t) z_t, with
 *
 *   h_t = omega + sum_{i=1..p} alpha_i e_{t-i}^2 + sum_{j=1..q} beta_j h_{t-j}
 *
 * ORDER CONVENTION: `p` is the number of ARCH terms (alpha, on lagged squared residuals),
 * `q` the number of GARCH terms (beta, on lagged variances). This matches Python's arch
 * (`GARCH(p, o, q)`) and R's fGarch (`~garch(p, q)`); R's tseries writes `order = c(q, p)`.
 */

/** Conditional mean: zero, a constant, or AR(lags) with a constant. */
export type MeanSpec =
  | { readonly kind: "zero" }
  | { readonly kind: "constant" }
  | { readonly kind: "ar"; readonly lags: number };

/**
 * Innovation distribution of z_t, all standardised to mean 0 and variance 1:
 * - `normal`;
 * - `t`: Student-t with nu > 2 degrees of freedom (as arch and fGarch);
 * - `skewt`: Hansen's (1994) skewed t, nu > 2 and -1 < lambda < 1;
 * - `ged`: generalised error distribution with shape nu > 0 (nu = 2 is the normal).
 */
export type DistName = "normal" | "t" | "skewt" | "ged";

/**
 * Pre-sample values used for every e^2_{t-i} and h_{t-j} with t - i < 0 (or t - j < 0):
 * - `fcp`: mean((r - mu)^2) over the sample at the *current* mean parameters (the
 *   Fiorentini-Calzolari-Panattoni benchmark convention; fGarch's "mci");
 * - `ewma`: arch's backcast, fixed before optimising: sum_i w_i (r_i - rbar)^2 over the first
 *   tau = min(75, n) observations with w_i proportional to 0.94^i (i = 0..tau-1), sum w_i = 1;
 * - `fixed`: a given positive number.
 */
export type InitSpec =
  | { readonly kind: "fcp" }
  | { readonly kind: "ewma" }
  | { readonly kind: "fixed"; readonly value: number };

/** A fully specified model: what `checkSpec` returns from user options. */
export interface GarchSpec {
  readonly p: number;
  readonly q: number;
  readonly mean: MeanSpec;
  readonly dist: DistName;
  readonly init: InitSpec;
  /** Enforce sum(alpha) + sum(beta) < 1 while estimating. */
  readonly stationarity: boolean;
  /** omega = sample variance x (1 - persistence) instead of a free parameter. */
  readonly varianceTargeting: boolean;
}

/** Named parameters. Keys present depend on the spec. */
export interface GarchParams {
  /** Constant of the mean equation (constant and AR means). */
  readonly mu?: number;
  /** AR coefficients phi_1..phi_k (AR mean). */
  readonly ar?: readonly number[];
  readonly omega: number;
  /** alpha_1..alpha_p (ARCH terms). */
  readonly alpha: readonly number[];
  /** beta_1..beta_q (GARCH terms). */
  readonly beta: readonly number[];
  /** Degrees of freedom (t, skewt) or shape (ged). */
  readonly nu?: number;
  /** Skewness of Hansen's skew-t. */
  readonly lambda?: number;
}

/** The same keys as GarchParams, each holding a per-parameter statistic (e.g. a standard error). */
export type ParamStat = {
  readonly [K in keyof GarchParams]: GarchParams[K] extends readonly number[] | undefined
    ? readonly number[]
    : number;
};

export type CovarianceKind = "hessian" | "opg" | "robust";

/** Multi-step forecasts from the end of the sample, h = 1..horizon. */
export interface Forecast {
  readonly mean: readonly number[];
  readonly variance: readonly number[];
}

export interface ForecastOptions {
  /** @default "analytic" */
  readonly method?: "analytic" | "simulation";
  /** Number of simulated paths for `simulation`. @default 1000 */
  readonly simulations?: number;
  /** Seed of the simulation. @default 42 */
  readonly seed?: number;
}

/** User-facing options of `fit`; `checkSpec` applies the defaults. */
export interface GarchOptions {
  /** ARCH order. @default 1 */
  readonly p?: number;
  /** GARCH order. @default 1 */
  readonly q?: number;
  /** @default "constant" */
  readonly mean?: "zero" | "constant" | MeanSpec;
  /** @default "normal" */
  readonly dist?: DistName;
  /** @default "fcp" */
  readonly init?: "fcp" | "ewma" | number | InitSpec;
  /** @default true */
  readonly stationarity?: boolean;
  /** @default false */
  readonly varianceTargeting?: boolean;
  /** Iteration cap of the optimiser. @default 200 */
  readonly maxIterations?: number;
}

/**
 * What a forecast needs from the end of the sample, most recent value last. Where the sample
 * is shorter than an order, the pre-sample values stand in (as in the likelihood).
 */
export interface ForecastState {
  /** Last max(p, 1) residuals e_t. */
  readonly residuals: readonly number[];
  /** Last max(q, 1) conditional variances h_t. */
  readonly variances: readonly number[];
  /** Last `lags` returns (AR mean; empty otherwise). */
  readonly returns: readonly number[];
}
