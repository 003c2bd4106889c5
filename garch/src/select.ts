/**
 * Order selection: fit every GARCH(p,q) × distribution of a grid and keep the best converged
 * fit by an information criterion.
 */
import { GarchInputError } from "./errors.js";
import { fit, type GarchFit } from "./fit.js";
import { formatValue } from "./format.js";
import { checkOptionKeys, checkSeries, checkSpec, MAX_ORDER } from "./spec.js";
import type { DistName, GarchOptions } from "./types.js";

export interface SelectOptions {
  /** Smallest ARCH order tried. @default 1 */
  readonly minP?: number;
  /** Largest ARCH order tried. @default 2 */
  readonly maxP?: number;
  /**
   * Smallest GARCH order tried. @default 1 — pure ARCH models (q = 0) rarely win on returns
   * and would add maxP fits per distribution; pass 0 to include them.
   */
  readonly minQ?: number;
  /** Largest GARCH order tried. @default 2 */
  readonly maxQ?: number;
  /** Innovation distributions tried. @default ["normal"] */
  readonly dists?: readonly DistName[];
  /** @default "bic" */
  readonly criterion?: "aic" | "bic";
  /** Options shared by every candidate (mean, init, …); the grid sets p, q and dist. */
  readonly base?: GarchOptions;
  /** Called after each candidate is fitted (for progress bars): `done` of `total`. */
  readonly onCandidate?: (done: number, total: number, candidate: Candidate) => void;
}

/** One fitted candidate. A candidate whose fit threw has NaN statistics and the error's message. */
export interface Candidate {
  readonly p: number;
  readonly q: number;
  readonly dist: DistName;
  readonly logLikelihood: number;
  readonly aic: number;
  readonly bic: number;
  readonly hqic: number;
  readonly converged: boolean;
  readonly message: string;
}

export interface Selection {
  /** The converged fit with the lowest criterion (ties: fewer parameters). */
  readonly best: GarchFit;
  /** Every candidate in grid order: by dist, then p, then q. */
  readonly candidates: readonly Candidate[];
}

const OPTION_KEYS = new Set([
  "minP",
  "maxP",
  "minQ",
  "maxQ",
  "dists",
  "criterion",
  "base",
  "onCandidate",
]);

function checkBound(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > MAX_ORDER) {
    throw new GarchInputError(
      "INVALID_ORDER",
      `${name} must be an integer from ${min} to ${MAX_ORDER} (got ${formatValue(value)})`,
    );
  }
  return value;
}

/** What `bestCandidate` compares. */
export interface Ranked {
  readonly converged: boolean;
  readonly aic: number;
  readonly bic: number;
  readonly numParams: number;
}

/**
 * Index of the best entry: converged, with a finite criterion, lowest criterion, and on a tie the
 * fewer parameters (the first in order on a full tie). -1 when no entry qualifies.
 */
export function bestCandidate(entries: readonly Ranked[], criterion: "aic" | "bic"): number {
  let best = -1;
  for (const [i, e] of entries.entries()) {
    if (!e.converged || !Number.isFinite(e[criterion])) continue;
    const b = entries[best];
    if (
      b === undefined ||
      e[criterion] < b[criterion] ||
      (e[criterion] === b[criterion] && e.numParams < b.numParams)
    ) {
      best = i;
    }
  }
  return best;
}

function failureMessage(error: unknown): string {
  if (error instanceof GarchInputError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : formatValue(error);
}

/** A selection's options, checked, with their defaults. */
interface CheckedSelection {
  readonly minP: number;
  readonly maxP: number;
  readonly minQ: number;
  readonly maxQ: number;
  readonly criterion: "aic" | "bic";
  readonly dists: readonly DistName[];
  readonly base: GarchOptions;
  readonly onCandidate: SelectOptions["onCandidate"];
}

/**
 * What `selectOrder` checks before it fits anything: the options, and the series against every
 * distribution's smallest model. A caller that records work (a tracked run) checks first, so bad
 * input is refused before anything is recorded.
 * @throws GarchInputError as `selectOrder` does, except NO_CONVERGENCE.
 */
export function checkSelection(
  returns: ArrayLike<number>,
  options: SelectOptions = {},
): CheckedSelection {
  checkOptionKeys(options, OPTION_KEYS, "option");
  const minP = checkBound("minP", options.minP ?? 1, 1);
  const maxP = checkBound("maxP", options.maxP ?? 2, minP);
  const minQ = checkBound("minQ", options.minQ ?? 1, 0);
  const maxQ = checkBound("maxQ", options.maxQ ?? 2, minQ);
  const criterion = options.criterion ?? "bic";
  if (criterion !== "aic" && criterion !== "bic") {
    throw new GarchInputError(
      "INVALID_OPTION",
      `criterion must be "aic" or "bic" (got ${formatValue(criterion)})`,
    );
  }
  const dists = options.dists ?? ["normal"];
  if (!Array.isArray(dists) || dists.length === 0 || new Set(dists).size !== dists.length) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `dists must be a non-empty array of distinct distributions (got ${formatValue(dists)})`,
    );
  }
  const base = options.base ?? {};
  if (typeof base !== "object" || base === null || Array.isArray(base)) {
    throw new GarchInputError(
      "INVALID_OPTION",
      `base must be an object of fit options (got ${formatValue(base)})`,
    );
  }
  // Checking every distribution's smallest model up front turns a bad `base` option or
  // distribution, or a bad series, into one error instead of a grid of failed candidates.
  for (const dist of dists) checkSeries(returns, checkSpec({ ...base, p: minP, q: minQ, dist }));

  const onCandidate = options.onCandidate;
  if (onCandidate !== undefined && typeof onCandidate !== "function") {
    throw new GarchInputError(
      "INVALID_OPTION",
      `onCandidate must be a function (got ${formatValue(onCandidate)})`,
    );
  }
  return { minP, maxP, minQ, maxQ, criterion, dists, base, onCandidate };
}

/**
 * Fits GARCH(p,q) for every p in minP..maxP, q in minQ..maxQ and distribution in `dists`, and
 * returns the converged fit with the lowest AIC or BIC together with a row per candidate.
 *
 * One candidate failing (a fit that throws, say a series too short for a large order, or one
 * that does not converge) does not stop the others: it is listed with converged = false and its
 * message.
 * @throws GarchInputError INVALID_ORDER for bounds outside 1..20 (p) or 0..20 (q) or min > max;
 *   INVALID_OPTION for unknown options, an empty, unknown or repeated distribution, a criterion
 *   other than "aic" / "bic", a `base` that is not an object or holds bad options (as `fit`); the series errors of `fit`
 *   (EMPTY_SERIES, NON_FINITE, CONSTANT_SERIES, TOO_SHORT for the smallest candidate); and
 *   NO_CONVERGENCE when no candidate converged (raising `base.maxIterations` may help).
 */
export function selectOrder(returns: ArrayLike<number>, options: SelectOptions = {}): Selection {
  const { minP, maxP, minQ, maxQ, criterion, dists, base, onCandidate } = checkSelection(
    returns,
    options,
  );
  const total = dists.length * (maxP - minP + 1) * (maxQ - minQ + 1);
  const candidates: Candidate[] = [];
  const fits: (GarchFit | null)[] = [];
  const ranked: Ranked[] = [];
  for (const dist of dists) {
    for (let p = minP; p <= maxP; p++) {
      for (let q = minQ; q <= maxQ; q++) {
        let fitted: GarchFit | null = null;
        let message: string;
        try {
          fitted = fit(returns, { ...base, p, q, dist });
          message = fitted.message;
        } catch (error) {
          message = failureMessage(error);
        }
        const stats = fitted ?? {
          logLikelihood: Number.NaN,
          aic: Number.NaN,
          bic: Number.NaN,
          hqic: Number.NaN,
        };
        const converged = fitted?.converged ?? false;
        const candidate: Candidate = {
          p,
          q,
          dist,
          logLikelihood: stats.logLikelihood,
          aic: stats.aic,
          bic: stats.bic,
          hqic: stats.hqic,
          converged,
          message,
        };
        candidates.push(candidate);
        fits.push(fitted);
        ranked.push({
          converged,
          aic: stats.aic,
          bic: stats.bic,
          numParams: fitted?.numParams ?? 0,
        });
        onCandidate?.(candidates.length, total, candidate);
      }
    }
  }
  const best = fits[bestCandidate(ranked, criterion)];
  if (!best) {
    throw new GarchInputError(
      "NO_CONVERGENCE",
      `none of the ${candidates.length} candidate models converged (first: ${candidates[0]!.message}); raising base.maxIterations may help`,
    );
  }
  return { best, candidates };
}
