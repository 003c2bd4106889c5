/** A classifier artifact's model file: written from a forest's JSON, loaded into a predictor. */
import type { LoadedArtifact } from "../artifact.js";
import { ArtifactError } from "../errors.js";
import type { RandomForestJSON } from "./format.js";
import { ForestPredictor } from "./predictor.js";

/** The text of a forest's model file (`model.json`). */
export function forestModelFile(model: RandomForestJSON): string {
  return JSON.stringify(model);
}

/** A loaded classifier: its predictor and the columns and classes its manifest declares. */
export interface LoadedForest {
  readonly predictor: ForestPredictor;
  /** The features of a row, in order. */
  readonly featureNames: readonly string[];
  /** Class names by the predictor's class index. */
  readonly classes: readonly string[];
}

/** The forest in a verified artifact of kind `classifier`. */
export function loadForest(artifact: LoadedArtifact): LoadedForest {
  const { manifest } = artifact;
  const schema = manifest.feature_schema;
  if (schema.kind !== "classifier") {
    throw new ArtifactError(`model ${manifest.name}@${manifest.version} is not a classifier`);
  }
  const featureNames = schema.features.map((f) => f.name);
  const predictor = ForestPredictor.fromJSON(
    JSON.parse(artifact.model) as RandomForestJSON,
    featureNames.length,
    schema.classes.length,
  );
  return { predictor, featureNames, classes: schema.classes };
}
