/** A GARCH artifact's model file: a fitted model as `GarchFit.toJSON()` stores it. */
import { GarchFit } from "@mlops/garch";
import type { LoadedArtifact } from "./artifact.js";
import { ArtifactError } from "./errors.js";

/** The text of a fitted model's model file (`model.json`). */
export function garchModelFile(fit: GarchFit): string {
  return JSON.stringify(fit.toJSON());
}

/** Restores the fit stored in a verified artifact of kind `garch`, ready to forecast. */
export function loadGarch(artifact: LoadedArtifact): GarchFit {
  const { manifest } = artifact;
  if (manifest.kind !== "garch") {
    throw new ArtifactError(`model ${manifest.name}@${manifest.version} is not GARCH`);
  }
  return GarchFit.fromJSON(JSON.parse(artifact.model));
}
