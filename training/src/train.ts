import { type Dataset, takeRows } from "./dataset.js";
import { type FitOptions, type FitResult, fitForest } from "./forest/fit.js";
import type { ForestOptions } from "./forest/options.js";
import { fitGbdt, type GbdtFitOptions, type GbdtFitResult } from "./gbdt/fit.js";
import type { GbdtOptions } from "./gbdt/options.js";
import { type ClassificationMetrics, classificationMetrics } from "./metrics.js";

/** A fitted classifier, tagged with the algorithm that learned it. */
export type FittedModel =
  | { readonly algorithm: "forest"; readonly fit: FitResult }
  | { readonly algorithm: "gbdt"; readonly fit: GbdtFitResult };

/** What a fit is scored with, whatever the algorithm. */
interface Scored {
  /** Metrics on the held-out rows, from the predictions a server loading the model makes. */
  readonly metrics: ClassificationMetrics;
  /** Wall time of the fit alone (not reading, not scoring), in milliseconds. */
  readonly fitMs: number;
}

/** A forest fitted on a dataset's training part and scored on its held-out part. */
export type ForestOutcome = Extract<FittedModel, { algorithm: "forest" }> & Scored;
/** Boosted trees fitted on a dataset's training part and scored on its held-out part. */
export type GbdtOutcome = Extract<FittedModel, { algorithm: "gbdt" }> & Scored;
export type TrainOutcome = ForestOutcome | GbdtOutcome;

/**
 * Fits a random forest on `dataset.split.train` and scores it on `dataset.split.test`. Pass
 * `fit.validation` to get progress on other rows; by default progress is scored on the test part.
 */
export async function trainAndEvaluate(
  dataset: Dataset,
  forest: ForestOptions = {},
  fit: FitOptions = {},
): Promise<ForestOutcome> {
  const train = takeRows(dataset, dataset.split.train);
  const test = takeRows(dataset, dataset.split.test);
  const start = performance.now();
  const result = await fitForest(train, forest, { validation: test, ...fit });
  return evaluateFit(dataset, { algorithm: "forest", fit: result }, performance.now() - start);
}

/**
 * Fits boosted trees on `dataset.split.train` and scores them on `dataset.split.test`. The
 * per-round history is scored on the test part, except under early stopping: the rounds are then
 * chosen on a `validationFraction` of the training part, never on the rows that score the model.
 */
export async function trainAndEvaluateGbdt(
  dataset: Dataset,
  gbdt: GbdtOptions = {},
  fit: GbdtFitOptions = {},
): Promise<GbdtOutcome> {
  const train = takeRows(dataset, dataset.split.train);
  const validation = gbdt.earlyStopping
    ? {}
    : { validation: takeRows(dataset, dataset.split.test) };
  const start = performance.now();
  const result = await fitGbdt(train, gbdt, { ...validation, ...fit });
  return evaluateFit(dataset, { algorithm: "gbdt", fit: result }, performance.now() - start);
}

/** Scores a model fitted on `dataset.split.train` (here or elsewhere) on `dataset.split.test`. */
export function evaluateFit<M extends FittedModel>(
  dataset: Dataset,
  model: M,
  fitMs: number,
): M & Scored {
  const test = takeRows(dataset, dataset.split.test);
  const { predictor } = model.fit;
  const metrics = classificationMetrics(
    test.y,
    predictor.predict(test.x),
    predictor.predictProbabilities(test.x),
    dataset.classNames.length,
  );
  return { ...model, metrics, fitMs };
}
