import { type Dataset, takeRows } from "./dataset.js";
import { type FitOptions, type FitResult, fitForest } from "./forest/fit.js";
import type { ForestOptions } from "./forest/options.js";
import { type ClassificationMetrics, classificationMetrics } from "./metrics.js";

/** A forest fitted on a dataset's training part and scored on its held-out part. */
export interface TrainOutcome {
  readonly fit: FitResult;
  /** Metrics on the held-out rows, from the predictions a server loading `fit.model` makes. */
  readonly metrics: ClassificationMetrics;
  /** Wall time of the fit alone (not reading, not scoring), in milliseconds. */
  readonly fitMs: number;
}

/**
 * Fits a random forest on `dataset.split.train` and scores it on `dataset.split.test`. Pass
 * `fit.validation` to get progress on other rows; by default progress is scored on the test part.
 */
export async function trainAndEvaluate(
  dataset: Dataset,
  forest: ForestOptions = {},
  fit: FitOptions = {},
): Promise<TrainOutcome> {
  const train = takeRows(dataset, dataset.split.train);
  const test = takeRows(dataset, dataset.split.test);
  const start = performance.now();
  const result = await fitForest(train, forest, { validation: test, ...fit });
  return evaluateFit(dataset, result, performance.now() - start);
}

/** Scores a forest fitted on `dataset.split.train` (here or elsewhere) on `dataset.split.test`. */
export function evaluateFit(dataset: Dataset, fit: FitResult, fitMs: number): TrainOutcome {
  const test = takeRows(dataset, dataset.split.test);
  const { predictor } = fit;
  const metrics = classificationMetrics(
    test.y,
    predictor.predict(test.x),
    predictor.predictProbabilities(test.x),
    dataset.classNames.length,
  );
  return { fit, metrics, fitMs };
}
