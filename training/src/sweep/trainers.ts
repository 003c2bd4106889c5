/**
 * What a sweep trial trains: the random forest (reports after every k trees) or gradient-boosted
 * trees (reports after every k boosting rounds). Both stop at the report a termination policy
 * acts on, not after finishing.
 */
import { fitForest, type LabeledRows, type TrainingData } from "../forest/fit.js";
import type { ForestOptions } from "../forest/options.js";
import type { TrainingPool } from "../forest/pool.js";
import { fitGbdt } from "../gbdt/fit.js";
import type { GbdtOptions } from "../gbdt/options.js";

/** The algorithms a sweep can search. */
export const SWEEP_ALGORITHMS = ["forest", "gbdt"] as const;
export type SweepAlgorithm = (typeof SWEEP_ALGORITHMS)[number];

/**
 * Trees (forest) or rounds (gbdt) per report unless a definition says otherwise: a forest's
 * accuracy moves little from one tree to the next, a booster's every round.
 */
export const DEFAULT_REPORT_EVERY: Readonly<Record<SweepAlgorithm, number>> = {
  forest: 10,
  gbdt: 1,
};

/** One report of a trial: the model so far scored on the validation rows. */
export interface TrialReport {
  /** Trees (forest) or boosting rounds (gbdt) trained so far: the report's step. */
  readonly step: number;
  readonly accuracy: number;
  /** Mean validation log loss (gbdt only). */
  readonly loss: number | undefined;
  /** When the model was scored, epoch milliseconds. */
  readonly time: number;
}

/** What one trial trains on and how it reports. */
export interface TrialTraining {
  readonly fitRows: TrainingData;
  readonly validation: LabeledRows;
  /** The fixed options with the trial's assignment over them (checked by the trainer). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly reportEvery: number;
  /** Aborting it (from `onReport`) stops the fit before its next tree batch or round. */
  readonly signal: AbortSignal;
  readonly onReport: (report: TrialReport) => void;
  /** Forest trials train on these worker threads. */
  readonly pool?: TrainingPool;
  /** Histogram threads of each gbdt trial. @default 1 */
  readonly threads?: number;
}

/** How a trial's fit ended. */
export interface TrialFit {
  /** Trees (forest) or boosting rounds (gbdt) trained. */
  readonly trained: number;
  /** Whether the signal stopped it before its last tree or round. */
  readonly stopped: boolean;
}

/** Trains one trial of `algorithm`; invalid options reject with the trainer's OptionError. */
export async function trainTrial(algorithm: SweepAlgorithm, t: TrialTraining): Promise<TrialFit> {
  if (algorithm === "forest") {
    const fit = await fitForest(t.fitRows, t.options as ForestOptions, {
      pool: t.pool,
      validation: t.validation,
      progressEvery: t.reportEvery,
      signal: t.signal,
      onProgress: (p) =>
        t.onReport({
          step: p.treesDone,
          accuracy: p.validationAccuracy!,
          loss: undefined,
          time: Date.now(),
        }),
    });
    return { trained: fit.nTrees, stopped: fit.stoppedEarly };
  }
  const fit = await fitGbdt(t.fitRows, t.options as GbdtOptions, {
    threads: t.threads,
    validation: t.validation,
    progressEvery: t.reportEvery,
    signal: t.signal,
    onProgress: (p) =>
      t.onReport({
        step: p.round,
        accuracy: p.validationAccuracy!,
        loss: p.validationLoss,
        time: Date.now(),
      }),
  });
  return { trained: fit.roundsTrained, stopped: fit.stoppedBy === "signal" };
}
