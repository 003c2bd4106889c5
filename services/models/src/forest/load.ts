/** A forest classifier artifact's model file: written from a forest's JSON, loaded into a predictor. */
import type { LoadedArtifact } from "../artifact.js";
import { type LoadedClassifier, loadClassifierModel } from "../classifier.js";
import { ArtifactError } from "../errors.js";
import type { RandomForestJSON } from "./format.js";
import type { ForestPredictor } from "./predictor.js";

/** The text of a forest's model file (`model.json`). */
export function forestModelFile(model: RandomForestJSON): string {
  return JSON.stringify(model);
}

/** A loaded forest: its predictor and the columns and classes its manifest declares. */
export type LoadedForest = LoadedClassifier<ForestPredictor>;

/** The forest in a verified artifact of kind `classifier` (a boosted-trees one is refused). */
export function loadForest(artifact: LoadedArtifact): LoadedForest {
  const loaded = loadClassifierModel(artifact);
  if (loaded.algorithm !== "forest") {
    const { name, version } = artifact.manifest;
    throw new ArtifactError(
      `model ${name}@${version} is a ${loaded.algorithm} classifier, not a forest`,
    );
  }
  return loaded as LoadedForest;
}
