/**
 * A classifier artifact, whatever learned it: the manifest's `algorithm` (a format 1 manifest is
 * a forest's) picks the model file's reader, and both readers give a predictor with the same
 * interface, so serving and evaluation need not know which algorithm they hold.
 */
import { type ClassifierAlgorithm, manifestAlgorithm } from "@mlops/contracts";
import type { LoadedArtifact } from "./artifact.js";
import { ArtifactError } from "./errors.js";
import type { RandomForestJSON } from "./forest/format.js";
import { ForestPredictor } from "./forest/predictor.js";
import { gbdtPredictor } from "./gbdt/load.js";
import type { ClassifierPredictor } from "./row-classifier.js";

export type { ClassifierPredictor } from "./row-classifier.js";

/** A loaded classifier: its algorithm, predictor and the columns and classes its manifest declares. */
export interface LoadedClassifier<P extends ClassifierPredictor = ClassifierPredictor> {
  readonly algorithm: ClassifierAlgorithm;
  readonly predictor: P;
  /** The features of a row, in order. */
  readonly featureNames: readonly string[];
  /** Class names by the predictor's class index. */
  readonly classes: readonly string[];
}

/** The classifier in a verified artifact of kind `classifier`, forest or boosted trees. */
export function loadClassifierModel(artifact: LoadedArtifact): LoadedClassifier {
  const { manifest } = artifact;
  const schema = manifest.feature_schema;
  const algorithm = manifestAlgorithm(manifest);
  if (schema.kind !== "classifier" || algorithm === null) {
    throw new ArtifactError(`model ${manifest.name}@${manifest.version} is not a classifier`);
  }
  const featureNames = schema.features.map((f) => f.name);
  const { classes } = schema;
  const predictor =
    algorithm === "gbdt"
      ? gbdtPredictor(artifact, featureNames.length, classes.length)
      : ForestPredictor.fromJSON(
          JSON.parse(artifact.model) as RandomForestJSON,
          featureNames.length,
          classes.length,
        );
  return { algorithm, predictor, featureNames, classes };
}
