/**
 * `fit`: exact maximum likelihood for a GARCH(p,q) model, and `GarchFit`, the immutable result
 * that can be stored (`toJSON`), restored (`GarchFit.fromJSON`) and forecast from.
 */
import { z } from "zod";
import { type ActiveConstraint, activeConstraints, freeBasis, PERSISTENCE } from "./at-bound.js";
import {
  COVARIANCE_KINDS,
  type CovarianceResult,
  covariances,
  opgStdErrors,
  outerProduct,
  pValues,
  tStatistics,
} from "./covariance.js";
import { GarchInputError } from "./errors.js";
import { type Estimate, estimate } from "./estimate.js";
import { forecast } from "./forecast.js";
import { buildModel, evaluate, type Model, persistence } from "./likelihood.js";
import { type Constraints, constraintsOf } from "./optimize/constraints.js";
import { opgAt } from "./optimize/hessian.js";
import { fromParams, paramNames, toParams } from "./params.js";
import { primeFitPath, primeKernels } from "./prime.js";
import { fromUnits, inUnits, unitPower } from "./scale.js";
import { checkMaxIterations, checkSeriesUnit, checkSpec, meanLags, paramCount } from "./spec.js";
import type {
  CovarianceKind,
  Forecast,
  ForecastOptions,
  ForecastState,
  GarchOptions,
  GarchParams,
  GarchSpec,
  ParamStat,
} from "./types.js";

/** Version of the JSON layout written by `toJSON`. */
// Type feedback for the fused kernels before any fit (see prime.ts): once, as this module loads.
primeKernels();

export const FIT_FORMAT = "mlops-garch-fit/1";

/** Everything a fit is made of; the derived statistics are computed from it. */
export interface FitData {
  readonly spec: GarchSpec;
  readonly params: GarchParams;
  readonly logLikelihood: number;
  readonly stdErrors: Record<CovarianceKind, ParamStat>;
  readonly converged: boolean;
  readonly iterations: number;
  readonly message: string;
  /** The constraints that hold with equality at the estimate (see at-bound.ts). */
  readonly activeConstraints: readonly ActiveConstraint[];
  /** Largest entry of the projected gradient of the log-likelihood at the estimate. */
  readonly projectedGradient: number;
  /** Pre-sample value of e^2 and h at the estimate. */
  readonly backcast: number;
  /** h_t aligned with the input (NaN before the first fitted observation). */
  readonly conditionalVariance: Float64Array;
  /** e_t aligned with the input (NaN before the first fitted observation). */
  readonly residuals: Float64Array;
  /** The last AR-lags returns (empty for zero and constant means). */
  readonly lastReturns: readonly number[];
}

function statFrom(spec: GarchSpec, values: ArrayLike<number>): ParamStat {
  return toParams(spec, values, Number.NaN) as ParamStat;
}

/**
 * A fitted GARCH model: named parameters, log-likelihood (full, with constants), information
 * criteria, standard errors of each kind with t-statistics and p-values, convergence, and the
 * in-sample residuals and conditional variances aligned with the input series.
 *
 * Immutable: array accessors return copies.
 */
export class GarchFit {
  readonly spec: GarchSpec;
  readonly params: GarchParams;
  /** Names of the estimated parameters in θ order ("mu", "omega", "alpha[1]", …). */
  readonly paramNames: readonly string[];
  /** Observations in the likelihood (the series length minus the AR lags). */
  readonly nobs: number;
  /** Number of estimated parameters (omega is not estimated under variance targeting). */
  readonly numParams: number;
  readonly logLikelihood: number;
  /** -2 LL + 2 k */
  readonly aic: number;
  /** -2 LL + k ln n */
  readonly bic: number;
  /** -2 LL + 2 k ln ln n */
  readonly hqic: number;
  /**
   * Standard errors; NaN for a parameter on its bound (see `activeConstraints`), for omega
   * under variance targeting, and for every parameter at a degenerate estimate (see `message`).
   * With a constraint active, the others are those of the estimates with it held. With the mean
   * on a GED kink (optimize/kink.ts) the mean has `opg` ones only (see `message`).
   */
  readonly stdErrors: Readonly<Record<CovarianceKind, ParamStat>>;
  readonly tStats: Readonly<Record<CovarianceKind, ParamStat>>;
  /** Two-sided p-values under the standard normal. */
  readonly pValues: Readonly<Record<CovarianceKind, ParamStat>>;
  /**
   * True only at a KKT point: the projected gradient, measured in the metric of the inverse
   * Hessian on the free parameters, is below tolerance (see estimate.ts).
   */
  readonly converged: boolean;
  readonly iterations: number;
  /** How the optimiser ended, and any note on the standard errors. */
  readonly message: string;
  /**
   * The constraints that hold with equality at the estimate: parameters on a bound ("alpha[2]"
   * at 0) and "persistence" on its limit under stationarity.
   */
  readonly activeConstraints: readonly ActiveConstraint[];
  /**
   * Largest entry (absolute) of the projected gradient of the log-likelihood at the estimate:
   * the gradient without the components that push against an active constraint. 0 at a KKT
   * point; in the units of the parameters.
   */
  readonly projectedGradient: number;
  readonly #data: FitData;

  /** Use `fit` or `GarchFit.fromJSON`. */
  constructor(data: FitData) {
    this.#data = data;
    const { spec } = data;
    this.spec = spec;
    this.params = data.params;
    this.paramNames = Object.freeze(paramNames(spec));
    this.nobs = data.residuals.length - meanLags(spec.mean);
    this.numParams = paramCount(spec);
    this.logLikelihood = data.logLikelihood;
    const k = this.numParams;
    const n = this.nobs;
    this.aic = -2 * data.logLikelihood + 2 * k;
    this.bic = -2 * data.logLikelihood + k * Math.log(n);
    this.hqic = -2 * data.logLikelihood + 2 * k * Math.log(Math.log(n));
    this.stdErrors = Object.freeze({ ...data.stdErrors });
    const theta = fromParams(spec, data.params, false);
    const t: Partial<Record<CovarianceKind, ParamStat>> = {};
    const pv: Partial<Record<CovarianceKind, ParamStat>> = {};
    for (const kind of COVARIANCE_KINDS) {
      const ts = tStatistics(theta, fromParams(spec, data.stdErrors[kind], false));
      t[kind] = statFrom(spec, ts);
      pv[kind] = statFrom(spec, pValues(ts));
    }
    this.tStats = Object.freeze(t as Record<CovarianceKind, ParamStat>);
    this.pValues = Object.freeze(pv as Record<CovarianceKind, ParamStat>);
    this.converged = data.converged;
    this.iterations = data.iterations;
    this.message = data.message;
    this.activeConstraints = Object.freeze(data.activeConstraints.map((a) => Object.freeze(a)));
    this.projectedGradient = data.projectedGradient;
    Object.freeze(this);
  }

  /** h_t aligned with the input series (NaN where an AR mean has no fitted value). */
  get conditionalVariance(): Float64Array {
    return this.#data.conditionalVariance.slice();
  }

  /** e_t = r_t - mean_t aligned with the input series (NaN where an AR mean has no fitted value). */
  get residuals(): Float64Array {
    return this.#data.residuals.slice();
  }

  /** e_t / sqrt(h_t) aligned with the input series. */
  get standardizedResiduals(): Float64Array {
    const { residuals: e, conditionalVariance: h } = this.#data;
    return e.map((v, i) => v / Math.sqrt(h[i]!));
  }

  /** What a forecast needs from the end of the sample (most recent last). */
  forecastState(): ForecastState {
    const { spec, residuals: e, conditionalVariance: h, backcast, lastReturns } = this.#data;
    const tail = (xs: Float64Array, count: number, pad: number): number[] => {
      const out = Array.from(xs.subarray(Math.max(0, xs.length - count)));
      const valid = out.filter((v) => !Number.isNaN(v));
      return [...Array<number>(count - valid.length).fill(pad), ...valid];
    };
    return {
      residuals: tail(e, Math.max(spec.p, 1), Math.sqrt(backcast)),
      variances: tail(h, Math.max(spec.q, 1), backcast),
      returns: [...lastReturns],
    };
  }

  /** Forecasts h = 1..horizon steps past the end of the sample (see `forecast`). */
  forecast(horizon: number, options?: ForecastOptions): Forecast {
    return forecast(this.spec, this.params, this.forecastState(), horizon, options);
  }

  /** A plain JSON object (NaN becomes null) that `GarchFit.fromJSON` restores. */
  toJSON(): GarchFitJson {
    const d = this.#data;
    const arr = (xs: Float64Array) => Array.from(xs, (v) => (Number.isFinite(v) ? v : null));
    return {
      format: FIT_FORMAT,
      spec: d.spec,
      params: d.params,
      logLikelihood: d.logLikelihood,
      stdErrors: {
        hessian: statJson(d.stdErrors.hessian),
        opg: statJson(d.stdErrors.opg),
        robust: statJson(d.stdErrors.robust),
      },
      converged: d.converged,
      iterations: d.iterations,
      message: d.message,
      activeConstraints: [...d.activeConstraints],
      projectedGradient: Number.isFinite(d.projectedGradient) ? d.projectedGradient : null,
      backcast: d.backcast,
      conditionalVariance: arr(d.conditionalVariance),
      residuals: arr(d.residuals),
      lastReturns: [...d.lastReturns],
    };
  }

  /**
   * Restores a fit from `toJSON()` output (or its JSON.parse).
   * @throws GarchInputError INVALID_JSON naming the first bad field.
   */
  static fromJSON(json: unknown): GarchFit {
    const parsed = fitJsonSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GarchInputError(
        "INVALID_JSON",
        `fit JSON field "${issue.path.join(".") || "(root)"}": ${issue.message}`,
      );
    }
    const j = parsed.data;
    let spec: GarchSpec;
    let params: GarchParams;
    try {
      spec = checkSpec(j.spec as GarchOptions);
      params = toParams(spec, fromParams(spec, j.params as GarchParams), j.params.omega);
    } catch (error) {
      if (error instanceof GarchInputError) {
        throw new GarchInputError(
          "INVALID_JSON",
          `fit JSON field "${error.code === "INVALID_PARAMS" ? "params" : "spec"}": ${error.message}`,
        );
      }
      throw error;
    }
    if (j.residuals.length !== j.conditionalVariance.length) {
      throw new GarchInputError(
        "INVALID_JSON",
        'fit JSON field "residuals": must have as many entries as conditionalVariance',
      );
    }
    if (j.lastReturns.length !== meanLags(spec.mean)) {
      throw new GarchInputError(
        "INVALID_JSON",
        `fit JSON field "lastReturns": must hold ${meanLags(spec.mean)} returns for this mean`,
      );
    }
    const stat = (values: z.infer<typeof statSchema>): ParamStat =>
      statFrom(spec, fromParams(spec, values as ParamStat, false));
    return new GarchFit({
      spec,
      params,
      logLikelihood: j.logLikelihood,
      stdErrors: {
        hessian: stat(j.stdErrors.hessian),
        opg: stat(j.stdErrors.opg),
        robust: stat(j.stdErrors.robust),
      },
      converged: j.converged,
      iterations: j.iterations,
      message: j.message,
      activeConstraints: j.activeConstraints,
      projectedGradient: j.projectedGradient,
      backcast: j.backcast,
      conditionalVariance: Float64Array.from(j.conditionalVariance),
      residuals: Float64Array.from(j.residuals),
      lastReturns: j.lastReturns,
    });
  }
}

/** A number as JSON holds it: NaN (and ±Infinity, which JSON.stringify would write so) as null. */
const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** `stat` with its non-finite entries (NaN: no standard error) as null. */
function statJson(stat: ParamStat): ParamStatJson {
  const out: Record<string, number | null | (number | null)[]> = {};
  for (const [key, v] of Object.entries(stat) as [string, number | readonly number[]][]) {
    if (v !== undefined) out[key] = typeof v === "number" ? finiteOrNull(v) : v.map(finiteOrNull);
  }
  return out as unknown as ParamStatJson;
}

/** Statistics and in-sample arrays: NaN is stored as null. */
const num = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);
const statSchema = z.object({
  mu: num.optional(),
  ar: z.array(num).optional(),
  omega: num.optional(),
  alpha: z.array(num),
  beta: z.array(num),
  nu: num.optional(),
  lambda: num.optional(),
});
const fitJsonSchema = z.object({
  format: z.literal(FIT_FORMAT),
  spec: z.record(z.string(), z.unknown()),
  params: z.object({
    mu: z.number().optional(),
    ar: z.array(z.number()).optional(),
    omega: z.number(),
    alpha: z.array(z.number()),
    beta: z.array(z.number()),
    nu: z.number().optional(),
    lambda: z.number().optional(),
  }),
  logLikelihood: z.number(),
  stdErrors: z.object({ hessian: statSchema, opg: statSchema, robust: statSchema }),
  converged: z.boolean(),
  iterations: z.number().int().nonnegative(),
  message: z.string(),
  // Absent from fits saved before bound-aware estimation: none recorded.
  activeConstraints: z
    .array(
      z.object({
        name: z.string(),
        side: z.enum(["lower", "upper"]),
        bound: z.number(),
      }),
    )
    .default([]),
  projectedGradient: num.default(Number.NaN),
  backcast: z.number().positive(),
  conditionalVariance: z.array(num),
  residuals: z.array(num),
  lastReturns: z.array(z.number()),
});

/** A per-parameter statistic in a fit's JSON: NaN (no standard error) is written as null. */
export type ParamStatJson = {
  readonly [K in keyof ParamStat]: ParamStat[K] extends readonly number[] | undefined
    ? readonly (number | null)[]
    : number | null;
};

/** The JSON form of a fit (`GarchFit.toJSON`). */
export type GarchFitJson = Omit<
  FitData,
  | "conditionalVariance"
  | "residuals"
  | "lastReturns"
  | "activeConstraints"
  | "projectedGradient"
  | "stdErrors"
> & {
  readonly format: typeof FIT_FORMAT;
  /**
   * NaN (a parameter on its bound, omega under variance targeting, every parameter at a
   * degenerate estimate) is written as null.
   */
  readonly stdErrors: Record<CovarianceKind, ParamStatJson>;
  readonly activeConstraints: ActiveConstraint[];
  /** NaN (no estimate) is written as null. */
  readonly projectedGradient: number | null;
  /** NaN is written as null. */
  readonly conditionalVariance: (number | null)[];
  readonly residuals: (number | null)[];
  readonly lastReturns: number[];
};

/** Whether the fit path has been primed (prime.ts's `primeFitPath`, before the first fit). */
let pathPrimed = false;

/**
 * Fits a GARCH(p,q) model by exact maximum likelihood (see `GarchOptions` for the defaults).
 * Non-convergence is reported on the result (`converged`, `message`), never thrown.
 * @throws GarchInputError for a bad series or bad options.
 */
export function fit(returns: ArrayLike<number>, options: GarchOptions = {}): GarchFit {
  if (!pathPrimed) {
    pathPrimed = true;
    primeFitPath(fitSeries);
  }
  return fitSeries(returns, options);
}

/** `fit` without the priming. */
function fitSeries(returns: ArrayLike<number>, options: GarchOptions): GarchFit {
  const spec = checkSpec(options);
  const maxIterations = checkMaxIterations(options.maxIterations);
  // Estimated on the series in its unit (scale.ts), then mapped back.
  const { x: r, unit } = checkSeriesUnit(returns, spec);
  const model = buildModel(inUnits(r, unit), specInUnits(spec, unit));
  const est = estimate(model, maxIterations);
  const { layout, t0, n, nEff } = model;
  const k = layout.k;
  const theta = est.theta;
  // The outer product of the scores at the estimate, if estimation did not leave it (nor the
  // residuals and variances there): one more pass.
  const opg = est.opg ?? opgAt(model, theta);
  const c = constraintsOf(model);
  const toSeriesUnits = (name: string) => unit ** unitPower(name);
  const active = activeConstraints(spec, est, c.maxPersistence).map((a) => ({
    ...a,
    bound: a.bound * toSeriesUnits(a.name),
  }));
  let s2 = 0;
  let hMin = Number.POSITIVE_INFINITY;
  let tMin = t0;
  for (let t = t0; t < n; t++) {
    s2 += model.e[t]! * model.e[t]!;
    if (model.h[t]! < hMin) {
      hMin = model.h[t]!;
      tMin = t;
    }
  }
  s2 /= nEff;
  const degenerate = hMin < DEGENERATE_VARIANCE * s2;
  const cov = degenerate ? noStandardErrors(k) : standardErrors(model, est, opg, c);
  const backcast = spec.init.kind === "fcp" ? s2 : model.fixedBackcast;
  const omega = spec.varianceTargeting ? s2 * (1 - persistence(layout, theta)) : Number.NaN;
  const params = fromUnits(toParams(spec, theta, omega), unit);
  const targeted = spec.varianceTargeting
    ? ["omega is variance-targeted, not estimated: it has no standard error"]
    : [];
  const notes = degenerate ? cov.notes : [...cov.notes, ...boundNotes(active), ...targeted];
  // The model is this fit's own: its arrays become the fit's (no copies).
  const { h, e } = model;
  h.fill(Number.NaN, 0, t0);
  e.fill(Number.NaN, 0, t0);
  const names = paramNames(spec);
  if (unit !== 1) {
    for (let t = t0; t < n; t++) {
      h[t] = h[t]! * unit * unit;
      e[t] = e[t]! * unit;
    }
  }
  let largestGradient = 0;
  est.projectedGradient.forEach((g, i) => {
    largestGradient = Math.max(largestGradient, Math.abs(g / toSeriesUnits(names[i]!)));
  });
  return new GarchFit({
    spec,
    params,
    // Each density is the unit's density divided by the unit.
    logLikelihood: est.logLikelihood - nEff * Math.log(unit),
    stdErrors: {
      hessian: fromUnits(statFrom(spec, cov.stdErrors.hessian), unit),
      opg: fromUnits(statFrom(spec, cov.stdErrors.opg), unit),
      robust: fromUnits(statFrom(spec, cov.stdErrors.robust), unit),
    },
    converged: est.converged && !degenerate,
    iterations: est.iterations,
    message: [
      ...(degenerate ? [degenerateNote(r, hMin / s2, tMin)] : []),
      est.message,
      ...notes,
    ].join("; "),
    activeConstraints: active,
    projectedGradient: largestGradient,
    backcast: backcast * unit * unit,
    conditionalVariance: h,
    residuals: e,
    lastReturns: Array.from(r.subarray(n - t0)),
  });
}

/**
 * A fit whose conditional variance falls below this fraction of the residuals' mean square
 * anywhere is degenerate (README, "Degenerate fits"): on ordinary series the smallest h_t is
 * several percent of it, at a degenerate maximum about 1e-10 (omega on its floor).
 */
const DEGENERATE_VARIANCE = 1e-6;

/**
 * A degenerate fit's standard errors: none. The curvature there is that of the likelihood's
 * climb towards a variance of 0, not of an estimate's sampling distribution (the robust standard
 * error of mu came out at 1e-11 on the probe series).
 */
function noStandardErrors(k: number): CovarianceResult {
  const none = () => new Float64Array(k).fill(Number.NaN);
  return {
    stdErrors: { hessian: none(), opg: none(), robust: none() },
    notes: [
      "no standard errors, t-statistics or p-values: at a degenerate estimate the curvature is that of the variance's collapse, not of the estimates' sampling distribution",
    ],
  };
}

/**
 * Standard errors at an estimate, in θ order (see covariance.ts and at-bound.ts): those of the
 * model with the active constraints held, and on a GED kink OPG ones for the mean (`kinkOpg`).
 */
function standardErrors(
  model: Model,
  est: Estimate,
  opg: Float64Array,
  c: Constraints,
): CovarianceResult {
  const cov = covariances(est.hessian, opg, model.layout.k, freeBasis(est, c.from, c.to));
  if (!est.onKink) return cov;
  const nu = est.theta[model.layout.shape]!;
  if (!(nu > KINK_OPG_NU)) {
    const why = `with nu = ${nu.toPrecision(4)} <= ${KINK_OPG_NU} the outer product of the scores is not a reliable measure of the mean's information (the squares of its scores have an infinite variance, and for nu <= 0.5 an infinite mean): it has no opg standard error either`;
    return { ...cov, notes: [...cov.notes, why] };
  }
  const kink = kinkOpg(model, est, c);
  // Where the held model's outer product is singular, so is this one (it spans more).
  const notes = [...cov.notes.filter((note) => note !== kink.note), kink.note];
  return { stdErrors: { ...cov.stdErrors, opg: kink.se }, notes };
}

/**
 * Largest GED nu at which the mean on a kink has no OPG standard error (see `kinkOpg`): below
 * it the squared scores of the mean, as |z|^(2 nu - 2) near z = 0, have infinite variance.
 */
const KINK_OPG_NU = 0.75;

/**
 * OPG standard errors of a fit whose mean is held on a kink of the GED log-likelihood
 * (optimize/kink.ts), with the mean estimated rather than held, for nu > KINK_OPG_NU. Across a
 * kink the Hessian is not defined (the curvature of -|z|^nu / 2 is unbounded at z = 0 for
 * nu < 2), but the scores are, off the kinks, and for nu > 1/2 the mean's Fisher information
 * E[score^2] is finite: the model is regular in quadratic mean, and the estimator of the mean
 * asymptotically normal with that information (as the median of a Laplace sample, nu = 1). The
 * outer product of the scores estimates it at the usual rate where its terms have a finite
 * variance, for nu > 3/4. (Over 150 series simulated with each nu, n = 2,000 to 8,000, the 95 %
 * intervals covered the mean 92 to 96 % of the time for nu from 0.8 to 1.1, 87 to 89 % at 0.7
 * and 60 % at 0.6.) With nu < 1 the scores of the observations on the kink are infinite, and
 * those of observations just beside it unbounded (the nMean with the smallest |z_t|, residuals
 * of 0 to rounding where their kinks cross): they are left out.
 */
function kinkOpg(
  model: Model,
  est: Estimate,
  c: Constraints,
): { readonly se: Float64Array; readonly note: string } {
  const { layout, t0, nEff, e, h } = model;
  const { k, nMean } = layout;
  const scores = new Float64Array(nEff * k);
  evaluate(model, est.theta, null, scores);
  const onKink: number[] = [];
  if (est.theta[layout.shape]! < 1) {
    const z = (t: number) => Math.abs(e[t]!) / Math.sqrt(h[t]!);
    const order = Array.from({ length: nEff }, (_, i) => t0 + i).sort((a, b) => z(a) - z(b));
    onKink.push(...order.slice(0, nMean).sort((a, b) => a - b));
    for (const t of onKink) scores.fill(0, (t - t0) * k, (t - t0 + 1) * k);
  }
  const basis = freeBasis(est, c.from, c.to, nMean);
  const { se, note } = opgStdErrors(outerProduct(scores, nEff, k), k, basis);
  const without =
    onKink.length > 0
      ? `, but for ${onKink.map((t) => `r[${t}]`).join(", ")}, where they are infinite or, beside the kink, unbounded`
      : "";
  return {
    se,
    note:
      note ??
      `the mean on the kink has opg standard errors only (its Hessian is not defined there, its scores are${without}); the other opg standard errors are those of the model with the mean estimated`,
  };
}

/** What the message says about a degenerate fit: where the variance collapses, and why. */
function degenerateNote(r: ArrayLike<number>, ratio: number, at: number): string {
  let zeros = 0;
  for (let t = 0; t < r.length; t++) if (r[t] === 0) zeros++;
  return `not converged: degenerate estimate, the conditional variance falls to ${ratio.toExponential(1)} of the residuals' mean square (at observation ${at}; the series has ${zeros} exact zeros): on runs of zeros the likelihood of a continuous innovation density grows without bound as the variance goes to 0, so this maximum is an artefact of the data, not an estimate`;
}

/** `spec` for its series in `unit`: a fixed pre-sample variance is measured in it too. */
function specInUnits(spec: GarchSpec, unit: number): GarchSpec {
  if (unit === 1 || spec.init.kind !== "fixed") return spec;
  const value = spec.init.value / (unit * unit);
  if (!(value > 0 && Number.isFinite(value))) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `init ${spec.init.value} is out of range for returns whose standard deviation is about ${unit}: a fixed pre-sample variance must be within 2^±1000 times its square`,
    );
  }
  return { ...spec, init: { kind: "fixed", value } };
}

/** What the message says about constraints active at the estimate. */
function boundNotes(active: readonly ActiveConstraint[]): string[] {
  const onBound = active.filter((a) => a.name !== PERSISTENCE);
  const notes: string[] = [];
  if (onBound.length > 0) {
    const list = onBound.map((a) => `${a.name} = ${a.bound} (${a.side} bound)`).join(", ");
    notes.push(
      `on a bound: ${list}; no standard error there (the estimator is not normal on a bound), the others' are those of the model with it held`,
    );
  }
  if (active.some((a) => a.name === PERSISTENCE)) {
    notes.push(
      "persistence on its stationarity limit: the ARCH and GARCH standard errors are those of the estimates constrained to that sum",
    );
  }
  return notes;
}
