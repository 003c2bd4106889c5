import { OptionError } from "./errors.js";

/**
 * Held-out metrics of a classifier. Binary problems (2 classes) score class 1 as the positive
 * class; with more classes precision, recall, F1 and ROC AUC are macro averages.
 */
export interface ClassificationMetrics {
  readonly accuracy: number;
  readonly balancedAccuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** NaN when no class has both positive and negative rows. */
  readonly rocAuc: number;
  readonly logLoss: number;
  /** Multiclass form: mean over rows of Σₖ (pₖ − [y = k])²; twice scikit-learn's binary value. */
  readonly brier: number;
  /** `confusionMatrix[true][predicted]` row counts. */
  readonly confusionMatrix: number[][];
}

/**
 * Every metric of {@link ClassificationMetrics}. `probabilities` is row-major n × nClasses;
 * rows need not sum to 1 (log loss renormalizes them, as scikit-learn 1.2 does).
 */
export function classificationMetrics(
  yTrue: Int32Array,
  yPred: Int32Array,
  probabilities: Float64Array,
  nClasses: number,
): ClassificationMetrics {
  checkLabels(yTrue, yPred, nClasses);
  checkProbabilities(yTrue, probabilities, nClasses);
  const confusion = confusionMatrix(yTrue, yPred, nClasses);
  const { precision, recall, f1 } = precisionRecallF1(confusion);
  return {
    accuracy: accuracy(yTrue, yPred),
    balancedAccuracy: balancedAccuracy(confusion),
    precision,
    recall,
    f1,
    rocAuc: rocAuc(yTrue, probabilities, nClasses),
    logLoss: logLoss(yTrue, probabilities, nClasses),
    brier: brierScore(yTrue, probabilities, nClasses),
    confusionMatrix: confusion,
  };
}

/** Share of rows predicted correctly. */
export function accuracy(yTrue: Int32Array, yPred: Int32Array): number {
  checkLabels(yTrue, yPred, Number.POSITIVE_INFINITY);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/** `nClasses × nClasses` counts, rows = true class, columns = predicted class. */
export function confusionMatrix(
  yTrue: Int32Array,
  yPred: Int32Array,
  nClasses: number,
): number[][] {
  checkLabels(yTrue, yPred, nClasses);
  const matrix = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]][yPred[i]]++;
  return matrix;
}

/** Mean recall over the classes that occur in the true labels. */
export function balancedAccuracy(confusion: number[][]): number {
  const recalls = confusion.flatMap((row, k) => {
    const support = sum(row);
    return support === 0 ? [] : [row[k] / support];
  });
  return sum(recalls) / recalls.length;
}

/**
 * Precision, recall and F1 from a confusion matrix: of class 1 for 2 classes, else the macro
 * mean over the classes that occur in the true or the predicted labels. A ratio with a zero
 * denominator counts as 0 (scikit-learn's `zero_division=0`).
 */
export function precisionRecallF1(confusion: number[][]): {
  precision: number;
  recall: number;
  f1: number;
} {
  const K = confusion.length;
  const perClass = (k: number) => {
    const score = classScore(confusion, k);
    const precision = score.precision ?? 0;
    const recall = score.recall ?? 0;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, seen: score.predicted + score.support > 0 };
  };
  if (K === 2) return perClass(1);
  const classes = Array.from({ length: K }, (_, k) => perClass(k)).filter((c) => c.seen);
  const mean = (key: "precision" | "recall" | "f1") =>
    sum(classes.map((c) => c[key])) / classes.length;
  return { precision: mean("precision"), recall: mean("recall"), f1: mean("f1") };
}

/** Class `k`'s counts and ratios in a confusion matrix; a ratio whose denominator is 0 is null. */
export interface ClassScore {
  /** Rows of the class. */
  readonly support: number;
  /** Rows predicted as the class. */
  readonly predicted: number;
  /** Share of the rows predicted as the class that are of it. */
  readonly precision: number | null;
  /** Share of the class's rows predicted as it. */
  readonly recall: number | null;
}

/** Class `k`'s {@link ClassScore} from a confusion matrix (rows true, columns predicted). */
export function classScore(confusion: number[][], k: number): ClassScore {
  const tp = confusion[k][k];
  const predicted = confusion.reduce((s, row) => s + row[k], 0);
  const support = sum(confusion[k]);
  return {
    support,
    predicted,
    precision: predicted === 0 ? null : tp / predicted,
    recall: support === 0 ? null : tp / support,
  };
}

/**
 * Area under the ROC curve: for 2 classes, of class 1's probability; else the macro mean of
 * one-vs-rest AUCs over the classes with both positive and negative rows. Tied scores get their
 * average rank (the Mann–Whitney statistic), which equals the trapezoidal ROC area.
 */
export function rocAuc(yTrue: Int32Array, probabilities: Float64Array, nClasses: number): number {
  checkProbabilities(yTrue, probabilities, nClasses);
  const n = yTrue.length;
  const binaryAuc = (k: number): number => {
    const scores = Float64Array.from({ length: n }, (_, i) => probabilities[i * nClasses + k]);
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
    let positives = 0;
    let rankSum = 0;
    for (let start = 0; start < n; ) {
      let end = start + 1;
      while (end < n && scores[order[end]] === scores[order[start]]) end++;
      const rank = (start + 1 + end) / 2;
      for (let j = start; j < end; j++) {
        if (yTrue[order[j]] === k) {
          positives++;
          rankSum += rank;
        }
      }
      start = end;
    }
    const negatives = n - positives;
    if (positives === 0 || negatives === 0) return Number.NaN;
    return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
  };
  if (nClasses === 2) return binaryAuc(1);
  const aucs = Array.from({ length: nClasses }, (_, k) => binaryAuc(k)).filter(
    (a) => !Number.isNaN(a),
  );
  return aucs.length === 0 ? Number.NaN : sum(aucs) / aucs.length;
}

/**
 * Mean negative log-probability of the true class, after clipping each probability to
 * [ε, 1 − ε] (ε = 2⁻⁵²) and renormalizing each row, as scikit-learn 1.2's `log_loss`.
 */
export function logLoss(yTrue: Int32Array, probabilities: Float64Array, nClasses: number): number {
  checkProbabilities(yTrue, probabilities, nClasses);
  const eps = Number.EPSILON;
  const clip = (p: number) => Math.min(1 - eps, Math.max(eps, p));
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    let rowSum = 0;
    for (let k = 0; k < nClasses; k++) rowSum += clip(probabilities[i * nClasses + k]);
    total -= Math.log(clip(probabilities[i * nClasses + yTrue[i]]) / rowSum);
  }
  return total / yTrue.length;
}

/** Multiclass Brier score: mean over rows of Σₖ (pₖ − [y = k])². */
export function brierScore(
  yTrue: Int32Array,
  probabilities: Float64Array,
  nClasses: number,
): number {
  checkProbabilities(yTrue, probabilities, nClasses);
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    for (let k = 0; k < nClasses; k++) {
      const d = probabilities[i * nClasses + k] - (yTrue[i] === k ? 1 : 0);
      total += d * d;
    }
  }
  return total / yTrue.length;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function checkLabels(yTrue: Int32Array, yPred: Int32Array, nClasses: number): void {
  if (yTrue.length === 0) throw new OptionError("yTrue", "must not be empty", 0);
  if (yPred.length !== yTrue.length) {
    throw new OptionError("yPred", `must have the ${yTrue.length} rows of yTrue`, yPred.length);
  }
  checkClasses("yTrue", yTrue, nClasses);
  checkClasses("yPred", yPred, nClasses);
}

/** Throws an OptionError naming `name` unless every entry of `y` is a class index below `nClasses`. */
export function checkClasses(name: string, y: Int32Array, nClasses: number): void {
  for (const k of y) {
    if (k < 0 || k >= nClasses) {
      throw new OptionError(name, `must hold class indexes in [0, ${nClasses - 1}]`, k);
    }
  }
}

function checkProbabilities(
  yTrue: Int32Array,
  probabilities: Float64Array,
  nClasses: number,
): void {
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new OptionError("nClasses", "must be an integer ≥ 2", nClasses);
  }
  if (yTrue.length === 0) throw new OptionError("yTrue", "must not be empty", 0);
  checkClasses("yTrue", yTrue, nClasses);
  if (probabilities.length !== yTrue.length * nClasses) {
    throw new OptionError(
      "probabilities",
      `must hold ${nClasses} values for each of the ${yTrue.length} rows`,
      probabilities.length,
    );
  }
  for (const p of probabilities) {
    if (!(p >= 0 && p <= 1)) throw new OptionError("probabilities", "must lie in [0, 1]", p);
  }
}
