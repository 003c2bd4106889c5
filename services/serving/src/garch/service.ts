/**
 * The one GARCH implementation behind both APIs: the platform's `/garch/*` routes and the GARCH
 * service's `/predict`, `/predict/custom` and `/models/list` (`MLOPS_MODE=garch`). It forecasts
 * from registered fits, fits posted returns (refusing a series shorter than the model needs, with
 * that length in the message), describes registered versions, and counts forecasts in the
 * prediction metrics under the variant `garch`: each answered one as `ok`, each the server failed
 * (5xx) as `error`, and a fit dropped because its caller had gone as `cancelled` (a hang-up says
 * nothing of the service's health, so it must not raise the error rate). A client's mistake (a bad
 * reference, an unknown model, a series that cannot be fitted) is counted in none, as on
 * `/predict`: an unknown name must not become a series of its own.
 */
import {
  formatModelRef,
  GARCH_LIMITS,
  GARCH_LIST_LIMIT,
  type GarchModelInfo,
  type ModelVersion,
  type ServingConfig,
} from "@mlops/contracts";
import { checkSpec, type DistName, type GarchFit, minimumLength } from "@mlops/garch";
import type { Store } from "@mlops/store";
import { CallerGoneError } from "../caller-gone.js";
import { ServingError } from "../errors.js";
import type { ServingMetrics } from "../metrics.js";
import { type ForecastPath, forecastPath } from "../models/garch.js";
import type { ServedGarch, ServedModels } from "../models/served.js";
import type { FitSummary, GarchFitter } from "./fitter.js";

/** What a fit-and-forecast is asked for. */
export interface FitForecastInput {
  readonly returns: readonly number[];
  readonly p: number;
  readonly q: number;
  readonly dist: DistName;
  readonly mean: "zero" | "constant";
  readonly horizon: number;
}

/** A fit of posted returns and its forecast. */
export interface FitForecast {
  readonly fit: FitSummary;
  readonly path: ForecastPath;
  /** The shortest series this model is fitted on. */
  readonly minLength: number;
}

/** A forecast from a registered version, with the version described. */
export interface RegisteredForecast {
  readonly served: ServedGarch;
  readonly info: GarchModelInfo;
  readonly path: ForecastPath;
}

export interface GarchService {
  /** The reference `/predict` uses when a request names no model, or null when none is set. */
  readonly defaultRef: string | null;
  /**
   * The fit `defaultRef` resolves to now, as `/predict` resolves it per request (an alias may
   * have moved since start), or null when no default is set or nothing matches it now.
   */
  current(): Promise<ServedGarch | null>;
  /** Forecast from `ref` (default: `defaultRef`); MODEL_NOT_FOUND when nothing matches. */
  forecast(ref: string | undefined, horizon: number): Promise<RegisteredForecast>;
  /**
   * Fit `input.returns` and forecast, on the fitter's thread; 400 naming the minimum when the
   * series is too short, 422 when it cannot be fitted, 503 when fits are queued to capacity or
   * the fit outlasts its deadline. Aborting `signal` (the caller has gone) drops the fit.
   */
  fitForecast(input: FitForecastInput, signal?: AbortSignal): Promise<FitForecast>;
  /** Every registered GARCH version (newest first per model, at most `GARCH_LIST_LIMIT`). */
  list(): Promise<GarchModelInfo[]>;
}

export interface GarchServiceDeps {
  readonly config: ServingConfig;
  readonly store: Store;
  readonly served: ServedModels;
  readonly metrics: ServingMetrics;
  /** Where posted returns are fitted. */
  readonly fitter: GarchFitter;
}

/**
 * Shortest series GARCH(p,q) is fitted on: the core's rule (10 observations per estimated
 * parameter beyond the lags) and never below the API's floor `GARCH_LIMITS.minReturns`.
 */
export function requiredReturns(input: Omit<FitForecastInput, "returns" | "horizon">): number {
  const spec = checkSpec({ p: input.p, q: input.q, dist: input.dist, mean: input.mean });
  return Math.max(GARCH_LIMITS.minReturns, minimumLength(spec));
}

/** The `model` label of fits of posted returns in the prediction metrics. */
export const CUSTOM_MODEL_LABEL = "custom";
/** The `model` label of a forecast the server failed before it knew which version to use. */
export const UNRESOLVED_MODEL_LABEL = "unresolved";

/** Whether `error` is the server's failure (5xx) rather than the client's mistake. */
function serverFailure(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status !== "number" || status >= 500;
}

/** `GARCH(p,q)`. */
export function modelType(p: number, q: number): string {
  return `GARCH(${p},${q})`;
}

/** The facts of a fit that describe it and never change for a version. */
function fitFacts(fitted: GarchFit) {
  const { spec } = fitted;
  return {
    p: spec.p,
    q: spec.q,
    model_type: modelType(spec.p, spec.q),
    distribution: spec.dist,
    mean: spec.mean.kind,
    sample_size: fitted.nobs,
    log_likelihood: fitted.logLikelihood,
    aic: fitted.aic,
    bic: fitted.bic,
    converged: fitted.converged,
  };
}

export function createGarchService(deps: GarchServiceDeps): GarchService {
  const { config, store, served, metrics, fitter } = deps;
  const defaultRef = config.garchModel ? formatModelRef(config.garchModel) : null;
  // Facts per `name@version`: versions are immutable, so each is read from its artifact once.
  const facts = new Map<string, ReturnType<typeof fitFacts>>();

  /** Counts one answered forecast under variant `garch`, and times it. */
  const recordOk = (model: string, started: bigint) => {
    const labels = { variant: "garch", model };
    metrics.requests.labels({ ...labels, status: "ok" }).inc();
    metrics.latency.labels(labels).observe(Number(process.hrtime.bigint() - started) / 1e9);
  };
  /**
   * Counts a failed forecast: as `cancelled` when its caller had gone, as `error` when the server
   * failed it; a client's mistake is not counted.
   */
  const recordFailure = (model: string, error: unknown) => {
    const status =
      error instanceof CallerGoneError ? "cancelled" : serverFailure(error) ? "error" : null;
    if (status !== null) metrics.requests.labels({ variant: "garch", model, status }).inc();
  };

  /** The version described; its fit is read only when its facts are not known yet. */
  const describe = async (
    version: ModelVersion,
    fitOf: () => Promise<GarchFit>,
    current: string | null,
  ): Promise<GarchModelInfo> => {
    const ref = `${version.name}@${version.version}`;
    let known = facts.get(ref);
    if (!known) {
      known = fitFacts(await fitOf());
      facts.set(ref, known);
    }
    return {
      name: version.name,
      version: version.version,
      ref,
      aliases: [...version.aliases],
      default: ref === current,
      ...known,
      fit_date: new Date(version.created_at).toISOString(),
    };
  };

  const current = async (): Promise<ServedGarch | null> => {
    if (defaultRef === null) return null;
    try {
      return (await served.resolveGarch(defaultRef)).served;
    } catch (error) {
      if (error instanceof ServingError && error.code === "MODEL_NOT_FOUND") return null;
      throw error;
    }
  };
  /** `name@version` the default reference resolves to now, or null. */
  const currentDefault = async (): Promise<string | null> => {
    const model = await current();
    return model && `${model.name}@${model.version}`;
  };

  return {
    defaultRef,
    current,

    async forecast(ref, horizon) {
      const wanted = ref ?? defaultRef;
      if (wanted === null) {
        throw new ServingError(
          "VALIDATION_FAILED",
          "model is required: this server has no default GARCH model",
          [{ path: "model", message: "is required (no default GARCH model is configured)" }],
        );
      }
      const started = process.hrtime.bigint();
      // The request's text is no label: only a version that exists becomes one.
      let label = UNRESOLVED_MODEL_LABEL;
      try {
        const { record: version, served: model } = await served.resolveGarch(wanted);
        label = `${model.name}@${model.version}`;
        const current = ref === undefined ? label : await currentDefault();
        const info = await describe(version, async () => model.fit, current);
        const result = { served: model, info, path: forecastPath(model.fit, horizon) };
        recordOk(label, started);
        return result;
      } catch (error) {
        recordFailure(label, error);
        throw error;
      }
    },

    async fitForecast(input, signal) {
      const started = process.hrtime.bigint();
      try {
        const minLength = requiredReturns(input);
        if (input.returns.length < minLength) {
          const message = `${modelType(input.p, input.q)} with ${input.mean} mean and ${input.dist} errors needs at least ${minLength} returns (got ${input.returns.length})`;
          throw new ServingError("VALIDATION_FAILED", `returns: ${message}`, [
            { path: "returns", message },
          ]);
        }
        const { returns, p, q, dist, mean, horizon } = input;
        const fitted = await fitter.fit(
          { returns, options: { p, q, dist, mean }, horizon },
          signal,
        );
        const result = { ...fitted, minLength };
        recordOk(CUSTOM_MODEL_LABEL, started);
        return result;
      } catch (error) {
        recordFailure(CUSTOM_MODEL_LABEL, error);
        throw error;
      }
    },

    async list() {
      const current = await currentDefault();
      const names = (await store.models.summaries())
        .filter((s) => s.kind === "garch")
        .map((s) => s.name)
        .sort();
      const out: GarchModelInfo[] = [];
      for (const name of names) {
        for (const version of await store.models.list(name)) {
          if (out.length >= GARCH_LIST_LIMIT) return out;
          // An unfinished registration may have no files to describe.
          if (version.status !== "READY") continue;
          const ref = `${version.name}@${version.version}`;
          const fitOf = async () => (await served.resolveGarch(ref)).served.fit;
          out.push(await describe(version, fitOf, current));
        }
      }
      return out;
    },
  };
}
