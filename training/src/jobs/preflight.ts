/**
 * Checks a job makes before it records a run, so that a call refused for a reason that needs no
 * training leaves no run, no version and no folder behind.
 */
import { existsSync, mkdtempSync, rmdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ModelKind } from "@mlops/contracts";
import { fileErrorReason } from "@mlops/contracts/files";
import { kindClash, type Store } from "@mlops/store";
import { OptionError } from "../errors.js";

/**
 * Refuses to register a `kind` version under `name` when the model already holds versions of
 * another kind: the store's own rule (`kindClash`, applied at registration), checked before the run
 * starts. `flag` is how the caller gave the name.
 */
export async function requireModelKind(
  store: Store,
  name: string,
  kind: ModelKind,
  flag = "--name",
): Promise<void> {
  const [newest] = await store.models.list(name);
  const clash = kindClash(name, newest?.kind, kind);
  if (clash !== null) {
    throw new OptionError(flag, `must not name a model of another kind: ${clash}`, undefined);
  }
}

/**
 * Refuses an artifact root (`--artifacts`, else MLOPS_ARTIFACT_DIR) in which the run's folder
 * could not be made: a folder is created in the deepest part of its path that exists, and removed
 * at once, so nothing is left either way.
 */
export function requireArtifactRoot(root: string): void {
  let at = resolve(root);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    rmdirSync(mkdtempSync(join(at, ".mlops-check-")));
  } catch (error) {
    throw new OptionError(
      "--artifacts",
      `must be a folder that can be created and written (${at}: ${fileErrorReason(error)})`,
      root,
    );
  }
}
