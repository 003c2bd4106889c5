/** A boosted-trees artifact's model file: written from a fitted model, loaded into a predictor. */
import type { LoadedArtifact } from "../artifact.js";
import { ArtifactError, describeValue } from "../errors.js";
import {
  GBDT_FORMAT_VERSION,
  GBDT_MODEL_KIND,
  type GbdtModelJSON,
  parseGbdtModel,
} from "./model.js";
import { BoostedTreesPredictor } from "./packed.js";

/** The text of a boosted-trees model's model file (`model.json`). */
export function gbdtModelFile(model: GbdtModelJSON): string {
  return JSON.stringify(model);
}

/**
 * The predictor of a boosted-trees model file. Its `kind` and `formatVersion` are checked first,
 * so a file of another kind or a newer format is refused by name rather than as a list of
 * mismatched fields; then the whole model, and its shape against the manifest's columns.
 */
export function gbdtPredictor(
  artifact: LoadedArtifact,
  nFeatures: number,
  nClasses: number,
): BoostedTreesPredictor {
  const { manifest } = artifact;
  const where = `model ${manifest.name}@${manifest.version} (${manifest.model_file})`;
  let json: unknown;
  try {
    json = JSON.parse(artifact.model);
  } catch (error) {
    throw new ArtifactError(`${where}: not JSON (${(error as Error).message})`);
  }
  const { kind, formatVersion } = (json ?? {}) as Partial<Record<string, unknown>>;
  if (kind !== GBDT_MODEL_KIND) {
    throw new ArtifactError(
      `${where}: kind must be "${GBDT_MODEL_KIND}" for a gbdt manifest (got ${describeValue(kind)})`,
    );
  }
  if (formatVersion !== GBDT_FORMAT_VERSION) {
    throw new ArtifactError(
      `${where}: formatVersion must be ${GBDT_FORMAT_VERSION}, the gbdt format this reader knows (got ${describeValue(formatVersion)}); a newer format needs a newer @mlops/models`,
    );
  }
  const model = parseGbdtModel(json);
  if (model.nFeatures !== nFeatures || model.nClasses !== nClasses) {
    throw new ArtifactError(
      `${where}: has ${model.nFeatures} features and ${model.nClasses} classes, its manifest ${nFeatures} and ${nClasses}`,
    );
  }
  return BoostedTreesPredictor.fromModel(model);
}
