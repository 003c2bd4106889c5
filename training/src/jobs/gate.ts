import { CHALLENGER } from "@mlops/contracts";
import { type Store, unservable } from "@mlops/store";
import { loadDataset } from "../dataset.js";
import { DatasetError, OptionError } from "../errors.js";
import type { RegistryMirror } from "../tracking/mlflow-registry.js";
import { heldOutRows, recordedSeed } from "./held-out.js";
import {
  checkGate,
  decidePromotion,
  metricsOnRows,
  type PromotionDecision,
  type PromotionGate,
} from "./promotion.js";

/** What `mlops gate` does, as a function. */
export interface GateJobInput {
  /** The candidate: `NAME@VERSION`, `NAME@ALIAS` or `NAME` (its latest version). */
  readonly model: string;
  /**
   * The CSV it was trained on: the rows it held out (the split column's, else the seeded split of
   * the seed it records) are the test.
   */
  readonly data: string;
  readonly label: string;
  /**
   * The seed the caller expects the version was trained with: refused unless it is the one the
   * version records (which alone decides its held-out rows).
   */
  readonly seed?: number;
  readonly gate: PromotionGate;
  readonly store: Store;
  /** Where a new challenger alias is mirrored, e.g. MLflow's registry. */
  readonly mirror?: RegistryMirror | null;
}

/** The result scripts read (`mlops gate --json`). */
export interface GateJobOutput {
  readonly model: { readonly name: string; readonly version: number };
  /** The candidate's value of the gate's metric on the held-out rows. */
  readonly value: number;
  readonly promotion: PromotionDecision;
}

/**
 * The gate `mlops train --auto-promote` applies at the end of a run, for a version trained
 * elsewhere (an Azure ML job, whose node cannot see the champion's artifact): score the candidate
 * on the rows it held out of its training (its recorded seed's split, or the split column's), then
 * the same decision, so the candidate becomes `challenger` only if it clears the threshold and is
 * not worse than the champion on the rows both held out.
 */
export async function runGateJob(input: GateJobInput): Promise<GateJobOutput> {
  checkGate(input.gate);
  const version = await input.store.models.resolve(input.model);
  const ref = `${version.name}@${version.version}`;
  // The gate scores a classifier it can load: a GARCH fit or an unfinished registration is named
  // as such, not as a feature mismatch.
  const why = unservable(version, "classifier");
  if (why !== null) {
    throw new OptionError(
      "--model",
      `${ref} ${why}: the gate scores READY classifiers only`,
      input.model,
    );
  }
  const seed = recordedSeed(version);
  if (input.seed !== undefined && input.seed !== seed) {
    throw new OptionError(
      "--seed",
      `is not the seed ${ref} was trained with (${seed === null ? "it records none" : `--seed ${seed}`}): the gate scores a version on the rows its own training held out; drop --seed`,
      input.seed,
    );
  }
  const dataset = await loadDataset(input.data, { label: input.label });
  const heldOut = heldOutRows(version, dataset);
  if (heldOut.rows === null) {
    throw new OptionError(
      "--data",
      `must be the file ${ref} was trained on, to score it on the rows it held out: ${heldOut.unknown}`,
      input.data,
    );
  }
  const scored = await metricsOnRows(version, dataset, heldOut.rows);
  if (scored === null) {
    throw new DatasetError(`${ref} takes other features or classes than ${input.data}`);
  }
  const value = scored[input.gate.metric]!;
  const promotion = await decidePromotion(
    input.store,
    version.name,
    version.version,
    value,
    input.gate,
    dataset,
  );
  if (promotion.promoted) await input.mirror?.aliasMoved(version.name, CHALLENGER, version.version);
  return { model: { name: version.name, version: version.version }, value, promotion };
}
