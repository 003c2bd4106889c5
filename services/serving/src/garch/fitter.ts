/**
 * Fits of posted returns run on a thread, one at a time, so the event loop keeps serving while
 * one runs. The thread starts with the first fit and stops after a minute without one (memory at
 * rest is unchanged); fits beyond a short queue are refused with a 503 rather than piling up.
 * No fit outlives its use: one whose caller has gone is dropped from the queue (or its thread
 * stopped, when it is running), and one not done within the deadline, queued or running, is
 * stopped and answered with a 503, so a queue of large fits never holds a caller for minutes.
 */
import { threadModule } from "@mlops/contracts/files";
import type { GarchOptions, GarchParams } from "@mlops/garch";
import { Piscina } from "piscina";
import { CallerGoneError } from "../caller-gone.js";
import { ServingError } from "../errors.js";
import type { ForecastPath } from "../models/garch.js";

/** Fits waiting for the thread beyond the one it runs (each holds its returns); more are refused. */
export const MAX_QUEUED_FITS = 64;
/** How long the thread waits for another fit before it stops. */
const IDLE_MS = 60_000;
/**
 * Longest a fit may take from its arrival, waiting included. The largest the API accepts (20,000
 * returns, GARCH(5,5), skewed t) takes about 8 s alone on a 2-core machine.
 */
export const FIT_DEADLINE_MS = 60_000;

/** What the thread is asked to fit. */
export interface FitRequest {
  readonly returns: readonly number[];
  readonly options: GarchOptions;
  readonly horizon: number;
}

/** What a fit yields for the APIs: the figures they report, and the forecast. */
export interface FitSummary {
  readonly params: GarchParams;
  readonly logLikelihood: number;
  readonly aic: number;
  readonly bic: number;
  readonly converged: boolean;
}

/** The thread's answer: the fit, or why the series cannot be fitted. */
export type FitReply = { fit: FitSummary; path: ForecastPath } | { invalid: string };

export interface GarchFitter {
  /**
   * The fit and its forecast; GARCH_FIT_FAILED (422), GARCH_BUSY (503) or GARCH_TIMEOUT (503)
   * otherwise. Aborting `signal` (its caller has gone) drops the fit, queued or running, with a
   * `CallerGoneError`.
   */
  fit(request: FitRequest, signal?: AbortSignal): Promise<{ fit: FitSummary; path: ForecastPath }>;
  /** Stops the thread. */
  close(): Promise<void>;
}

/** The fitter; its thread runs fit-thread.ts. */
export function createFitter(
  options: { readonly maxQueued?: number; readonly deadlineMs?: number } = {},
): GarchFitter {
  const maxQueued = options.maxQueued ?? MAX_QUEUED_FITS;
  const deadlineMs = options.deadlineMs ?? FIT_DEADLINE_MS;
  const { filename, execArgv } = threadModule(import.meta.url, "fit-thread");
  let pool: Piscina<FitRequest, FitReply> | undefined;
  return {
    async fit(request, signal) {
      pool ??= new Piscina<FitRequest, FitReply>({
        filename,
        minThreads: 0,
        maxThreads: 1,
        concurrentTasksPerWorker: 1,
        idleTimeout: IDLE_MS,
        execArgv,
      });
      if (pool.queueSize >= maxQueued) {
        throw new ServingError(
          "GARCH_BUSY",
          `${maxQueued} GARCH fits are already waiting for this server: retry later`,
        );
      }
      const deadline = AbortSignal.timeout(deadlineMs);
      let reply: FitReply;
      try {
        reply = await pool.run(request, {
          signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        });
      } catch (error) {
        if (deadline.aborted) {
          throw new ServingError(
            "GARCH_TIMEOUT",
            `the fit did not finish within ${deadlineMs / 1000} s of its arrival: retry later`,
            undefined,
            { cause: error },
          );
        }
        if (signal?.aborted) {
          throw new CallerGoneError("the caller closed the connection before the fit finished", {
            cause: error,
          });
        }
        throw error;
      }
      if ("invalid" in reply) throw new ServingError("GARCH_FIT_FAILED", reply.invalid);
      return reply;
    },
    async close() {
      await pool?.destroy();
    },
  };
}
