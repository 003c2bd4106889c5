/**
 * A classifier scored on labelled rows, as `mlops evaluate` reports it. Unlike training's held-out
 * part, the rows may hold a single class (a slice of held-out data): the metrics that weigh classes
 * against each other are then not defined, and are reported so with the reason, never as NaN or 0.
 */
import type { Metrics } from "@mlops/contracts";
import { metricsRecord } from "./artifact.js";
import { type ClassScore, classificationMetrics, classScore } from "./metrics.js";

/** Metrics that need rows of at least 2 classes: ROC AUC, and the positive-class or macro ratios. */
const BETWEEN_CLASSES: readonly string[] = ["roc_auc", "precision", "recall", "f1"];

/** What scoring a classifier on rows gives. */
export interface ScoringReport {
  /** The metrics the rows define, under `metricsRecord`'s names. */
  readonly metrics: Metrics;
  /** The metrics they do not define, each with the reason. */
  readonly not_defined: Readonly<Record<string, string>>;
  /** Each of the model's classes' precision and recall (null where not defined), in its order. */
  readonly per_class: readonly (ClassScore & { readonly class: string })[];
  /** `confusion_matrix[true][predicted]` row counts, in the model's class order. */
  readonly confusion_matrix: number[][];
}

/**
 * Scores predictions `yPred` and row-major `probabilities` against `yTrue`, class indexes of the
 * model's `classes`.
 */
export function scoreClassifier(
  yTrue: Int32Array,
  yPred: Int32Array,
  probabilities: Float64Array,
  classes: readonly string[],
): ScoringReport {
  const metrics = classificationMetrics(yTrue, yPred, probabilities, classes.length);
  const confusion = metrics.confusionMatrix;
  const perClass = classes.map((name, k) => ({ class: name, ...classScore(confusion, k) }));
  const present = perClass.filter((c) => c.support > 0);
  const record = metricsRecord(metrics);
  if (present.length > 1) {
    return { metrics: record, not_defined: {}, per_class: perClass, confusion_matrix: confusion };
  }
  const reason = `needs rows of at least 2 classes; every row scored is of class ${JSON.stringify(present[0]!.class)} (per_class has its precision and recall)`;
  return {
    metrics: Object.fromEntries(
      Object.entries(record).filter(([name]) => !BETWEEN_CLASSES.includes(name)),
    ),
    not_defined: Object.fromEntries(BETWEEN_CLASSES.map((name) => [name, reason])),
    per_class: perClass,
    confusion_matrix: confusion,
  };
}
