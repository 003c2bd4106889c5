import { setImmediate as nextTurn } from "node:timers/promises";
import type { GbdtModelJSON } from "@mlops/models";
import { BoostedTreesPredictor } from "@mlops/models";
import { selectRows, stratifiedSplit } from "../dataset.js";
import { OptionError, requirePositiveInteger, requireThreads } from "../errors.js";
import { checkRows, type LabeledRows, type TrainingData } from "../forest/fit.js";
import { Booster } from "./booster.js";
import { localBuilder } from "./grow.js";
import { type GbdtOptions, type GbdtParams, resolveGbdtOptions } from "./options.js";
import { HistogramWorkers, workersFor } from "./threads.js";

/** A report after a boosting round. */
export interface BoostingProgress {
  /** Rounds done. */
  readonly round: number;
  readonly nEstimators: number;
  /** Mean log loss of the model so far on the validation rows (the fit's or the early-stopping share). */
  readonly validationLoss: number | undefined;
  /** Accuracy of the model so far on the same rows. */
  readonly validationAccuracy: number | undefined;
}

/** How to run a fit (none of these change the model, except `validation` under early stopping). */
export interface GbdtFitOptions {
  /**
   * Threads building histograms (the calling thread and `threads − 1` workers). Only nodes of at
   * least `PARALLEL_MIN_WORK` rows × features are spread over them, and no worker starts for
   * smaller data (see `threads.ts`); the model is byte-identical for any count. @default 1
   */
  threads?: number;
  /** Rows scored after every round; with `earlyStopping` they also decide when to stop. */
  validation?: LabeledRows;
  /** Report every this many rounds (and after the last). @default 1 */
  progressEvery?: number;
  /** Called with each report, in round order. To stop, abort `signal` from here. */
  onProgress?: (progress: BoostingProgress) => void;
  /**
   * Stops before the next round; the fit keeps the rounds done (`stoppedBy: "signal"`), or
   * rejects with the signal's reason if there are none.
   */
  signal?: AbortSignal;
}

/** A fitted boosted-trees classifier. */
export interface GbdtFitResult {
  readonly model: GbdtModelJSON;
  readonly predictor: BoostedTreesPredictor;
  readonly params: GbdtParams;
  /** Rounds in the model (the best round's under early stopping). */
  readonly nRounds: number;
  /** Rounds trained, including those early stopping dropped. */
  readonly roundsTrained: number;
  readonly stoppedBy: "earlyStopping" | "signal" | null;
  /** Validation log loss and accuracy after each round trained, when there were validation rows. */
  readonly history: { readonly loss: number[]; readonly accuracy: number[] } | undefined;
}

/**
 * Fits gradient-boosted trees (histogram based; see `grow.ts`) for binary log loss or multiclass
 * softmax. Features must be finite: NaN and ±∞ are rejected with the row and feature. Every
 * random draw depends on (`seed`, round) only, so the model is the same for any `threads`.
 */
export async function fitGbdt(
  data: TrainingData,
  options: GbdtOptions = {},
  fit: GbdtFitOptions = {},
): Promise<GbdtFitResult> {
  const params = resolveGbdtOptions(options);
  const { nFeatures, classNames } = data;
  const nClasses = classNames.length;
  if (nClasses < 2) throw new OptionError("classNames", "must name at least 2 classes", classNames);
  checkRows("data", data, nFeatures, nClasses);
  checkFinite("data", data.x, nFeatures);
  if (new Set(data.y).size < 2) {
    throw new OptionError("data.y", "must hold at least 2 distinct classes", data.y[0]);
  }
  if (fit.validation) {
    checkRows("validation", fit.validation, nFeatures, nClasses);
    checkFinite("validation", fit.validation.x, nFeatures);
  }
  const progressEvery = fit.progressEvery ?? 1;
  requirePositiveInteger("progressEvery", progressEvery);
  const threads = fit.threads ?? 1;
  requireThreads(threads);

  const { train, scored } =
    params.earlyStopping && !fit.validation
      ? holdOut(data, params)
      : { train: data, scored: fit.validation };
  const nWorkers = workersFor(threads, train.y.length, nFeatures);
  const booster = new Booster(train, nFeatures, nClasses, params, scored, nWorkers > 0);
  const workers = nWorkers > 0 ? await HistogramWorkers.start(nWorkers, booster.input) : undefined;
  const builder = workers ?? localBuilder(booster.input);
  const history = scored ? { loss: [] as number[], accuracy: [] as number[] } : undefined;
  let best = { round: 0, loss: Number.POSITIVE_INFINITY };
  let stoppedBy: GbdtFitResult["stoppedBy"] = null;
  try {
    while (booster.rounds < params.nEstimators) {
      if (fit.signal) {
        // Let timers and I/O (and so an abort) in before each round.
        await nextTurn();
        if (fit.signal.aborted) {
          stoppedBy = "signal";
          break;
        }
      }
      booster.addRound(builder);
      const round = booster.rounds;
      const score = booster.evaluate();
      history?.loss.push(score!.loss);
      history?.accuracy.push(score!.accuracy);
      if (fit.onProgress && (round % progressEvery === 0 || round === params.nEstimators)) {
        fit.onProgress({
          round,
          nEstimators: params.nEstimators,
          validationLoss: score?.loss,
          validationAccuracy: score?.accuracy,
        });
      }
      if (params.earlyStopping && score) {
        if (score.loss < best.loss - params.tol) best = { round, loss: score.loss };
        else if (round - best.round >= params.nIterNoChange) {
          stoppedBy = "earlyStopping";
          break;
        }
      }
    }
  } finally {
    await workers?.close();
  }
  if (booster.rounds === 0) throw fit.signal?.reason ?? new Error("no round was trained");
  const nRounds = stoppedBy === "earlyStopping" ? best.round : booster.rounds;
  const model = booster.model(nRounds);
  return {
    model,
    predictor: BoostedTreesPredictor.fromModel(model),
    params,
    nRounds,
    roundsTrained: booster.rounds,
    stoppedBy,
    history,
  };
}

/** Splits off a seeded, stratified `validationFraction` of the rows for early stopping. */
function holdOut(
  data: TrainingData,
  params: GbdtParams,
): { train: LabeledRows; scored: LabeledRows } {
  let split: ReturnType<typeof stratifiedSplit>;
  try {
    split = stratifiedSplit(data.y, data.classNames.length, params.validationFraction, params.seed);
  } catch (error) {
    throw new OptionError(
      "earlyStopping",
      `needs a validation share of every class (${(error as Error).message}); pass the fit's validation rows instead`,
      true,
    );
  }
  return {
    train: selectRows(data.x, data.y, data.nFeatures, split.train),
    scored: selectRows(data.x, data.y, data.nFeatures, split.test),
  };
}

function checkFinite(option: string, x: Float64Array, nFeatures: number): void {
  for (let k = 0; k < x.length; k++) {
    if (!Number.isFinite(x[k])) {
      throw new OptionError(
        `${option}.x`,
        `must hold finite numbers: row ${Math.floor(k / nFeatures)}, feature ${k % nFeatures}`,
        x[k],
      );
    }
  }
}
