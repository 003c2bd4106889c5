import type { ModelManifest } from "@mlops/contracts";
import type { Dataset } from "./dataset.js";
import { escapeCell, lineageSection, markdownTable } from "./markdown.js";
import type { TrainOutcome } from "./train.js";

/** What a model card is written from: the version's manifest and its fit, scored on held-out rows. */
export interface ModelCardInput {
  readonly manifest: ModelManifest;
  readonly dataset: Dataset;
  readonly outcome: TrainOutcome;
  /** Where the data came from (a path or URI), as the user gave it. */
  readonly dataSource: string;
}

const METRIC_LABELS: Readonly<Record<string, string>> = {
  accuracy: "Accuracy",
  balanced_accuracy: "Balanced accuracy",
  precision: "Precision",
  recall: "Recall",
  f1: "F1",
  roc_auc: "ROC AUC",
  log_loss: "Log loss",
  brier: "Brier score (multiclass form)",
};

/** The card's opening: what the model is, and the model file's format. */
function summary(outcome: TrainOutcome, target: string, nFeatures: number, file: string): string {
  const predicting = `predicting \`${target}\` from ${nFeatures} numeric features`;
  if (outcome.algorithm === "forest") {
    return `A random-forest classifier (algorithm \`forest\`, ${outcome.fit.nTrees} trees) ${predicting}. The model file is ml-random-forest JSON (\`${file}\`).`;
  }
  const { fit } = outcome;
  const stopped =
    fit.stoppedBy === "earlyStopping"
      ? `early stopping kept ${fit.nRounds} of the ${fit.roundsTrained} rounds trained (the best validation log loss; at most ${fit.params.nEstimators})`
      : fit.stoppedBy === "signal"
        ? `stopped after ${fit.nRounds} of ${fit.params.nEstimators} rounds`
        : `all ${fit.nRounds} rounds kept${fit.params.earlyStopping ? " (early stopping did not trigger)" : ""}`;
  return `A gradient-boosted trees classifier (algorithm \`gbdt\`, ${fit.model.objective}, ${fit.model.trees.length} trees: ${stopped}) ${predicting}. The model file is @mlops/models' boosted-trees JSON of kind \`gbdt\`, format ${fit.model.formatVersion} (\`${file}\`).`;
}

/** What the probabilities are, which differs by algorithm. */
function probabilityLimit(outcome: TrainOutcome): string {
  return outcome.algorithm === "forest"
    ? "Probabilities are the shares of the trees voting for each class (every tree counted; ml-random-forest 2.1's own predictProbability drops the first tree's vote); they are not calibrated."
    : "Probabilities are the sigmoid (two classes) or softmax of the summed leaf values; log-loss boosting keeps them close to calibrated on data like the training data, but they were not calibrated separately.";
}

/** A Markdown model card: data, metrics with the confusion matrix, params, lineage, use, limits. */
export function renderModelCard({
  manifest,
  dataset,
  outcome,
  dataSource,
}: ModelCardInput): string {
  const { metrics } = outcome;
  const classes = dataset.classNames;
  const binary = classes.length === 2;
  const count = (rows: Int32Array, k: number) =>
    rows.reduce((n, i) => n + (dataset.y[i] === k ? 1 : 0), 0);
  const esc = escapeCell;
  const table = markdownTable;

  return `# Model card: ${manifest.name} v${manifest.version}

${summary(outcome, dataset.labelName, dataset.featureNames.length, manifest.model_file)}

## Data

- Source: \`${esc(dataSource)}\`, SHA-256 \`${manifest.data_hash}\`
- Features: ${dataset.featureNames.map((f) => `\`${esc(f)}\``).join(", ")}
- Split: ${dataset.splitSource === "column" ? "the file's `split` column" : `seeded stratified split (held-out share per class, seed ${manifest.seed})`}: ${dataset.split.train.length} training rows, ${dataset.split.test.length} held-out rows

${table(
  ["class", "training rows", "held-out rows"],
  classes.map((name, k) => [
    name,
    String(count(dataset.split.train, k)),
    String(count(dataset.split.test, k)),
  ]),
)}

## Metrics on the held-out rows

${binary ? `Precision, recall, F1 and ROC AUC treat \`${esc(classes[1])}\` as the positive class.` : "Precision, recall, F1 and ROC AUC are macro averages (ROC AUC one-vs-rest)."}

${table(
  ["metric", "value"],
  Object.entries(manifest.metrics).map(([key, value]) => [
    METRIC_LABELS[key] ?? key,
    value.toFixed(4),
  ]),
)}

Confusion matrix (rows: true class, columns: predicted class):

${table(
  ["true \\ predicted", ...classes],
  metrics.confusionMatrix.map((row, k) => [classes[k], ...row.map(String)]),
)}

## Parameters

${table(
  ["parameter", "value"],
  Object.entries(manifest.params).map(([key, value]) => [key, String(value)]),
)}

${lineageSection(manifest)}

## Intended use

Scoring rows with the same ${dataset.featureNames.length} features, measured the same way as in the training data, into one of: ${classes.map((c) => `\`${esc(c)}\``).join(", ")}. Use the class probabilities to rank or threshold; check the metrics above against the cost of each kind of error before acting on predictions.

## Limits

- Valid only for data like the training data: the held-out metrics say nothing about rows from another population or after drift.
- ${probabilityLimit(outcome)}
- Trees cannot extrapolate: feature values beyond the training range are treated like the nearest values seen.
- Missing values are not supported; every feature must be a finite number.
`;
}
