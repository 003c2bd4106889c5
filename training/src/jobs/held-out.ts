import type { ModelVersion } from "@mlops/contracts";
import { type Dataset, stratifiedSplit, TEST_FRACTION } from "../dataset.js";

/** The rows of a data file a registered version held out of its training, or why they are unknown. */
export type HeldOutRows =
  | { readonly rows: Int32Array; readonly unknown?: undefined }
  | { readonly rows: null; readonly unknown: string };

/** The split seed a version's params record (`seed`, as `mlops train --seed` set it), or null. */
export function recordedSeed(version: Pick<ModelVersion, "params">): number | null {
  const { seed } = version.params;
  return typeof seed === "number" && Number.isInteger(seed) ? seed : null;
}

/**
 * The rows of `dataset` that `version` held out of its training: training's split of the file it
 * was trained on, the split column's test part, else the stratified split (TEST_FRACTION of each
 * class) of the seed its params record, whatever seed `dataset` was read with. Unknown, with the
 * reason, when the version was trained on another file (its data hash is not this file's) or, for
 * a file without a split column, records no seed.
 */
export function heldOutRows(version: ModelVersion, dataset: Dataset): HeldOutRows {
  const ref = `${version.name}@${version.version}`;
  if (version.data_hash === null) {
    return { rows: null, unknown: `${ref} records no data hash: its training file is unknown` };
  }
  if (version.data_hash !== dataset.sha256) {
    return {
      rows: null,
      unknown: `${ref} was trained on another file (sha256 ${version.data_hash.slice(0, 12)}…, this one's ${dataset.sha256.slice(0, 12)}…)`,
    };
  }
  if (dataset.splitSource === "column") return { rows: dataset.split.test };
  const seed = recordedSeed(version);
  if (seed === null) {
    return {
      rows: null,
      unknown: `${ref} records no split seed (params.seed), and the file has no split column`,
    };
  }
  return { rows: stratifiedSplit(dataset.y, dataset.classNames.length, TEST_FRACTION, seed).test };
}
