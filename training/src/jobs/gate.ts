import { CHALLENGER } from "@mlops/contracts";
import { type Store, unservable } from "@mlops/store";
import { loadDataset } from "../dataset.js";
import { DatasetError, OptionError } from "../errors.js";
import type { RegistryMirror } from "../tracking/mlflow-registry.js";
import {
  checkGate,
  decidePromotion,
  heldOutMetrics,
  type PromotionDecision,
  type PromotionGate,
} from "./promotion.js";

/** What `mlops gate` does, as a function. */
export interface GateJobInput {
  /** The candidate: `NAME@VERSION`, `NAME@ALIAS` or `NAME` (its latest version). */
  readonly model: string;
  /** The CSV it was trained on: its held-out rows (split column, else seeded) are the test. */
  readonly data: string;
  readonly label: string;
  /** The seed of the training's split, when the file has no split column. @default 42 */
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
 * on the held-out rows here, then the same decision, so the candidate becomes `challenger` only if
 * it clears the threshold and is not worse than the champion on those rows.
 */
export async function runGateJob(input: GateJobInput): Promise<GateJobOutput> {
  checkGate(input.gate);
  const version = await input.store.models.resolve(input.model);
  // The gate scores a classifier it can load: a GARCH fit or an unfinished registration is named
  // as such, not as a feature mismatch.
  const why = unservable(version, "classifier");
  if (why !== null) {
    throw new OptionError(
      "--model",
      `${version.name}@${version.version} ${why}: the gate scores READY classifiers only`,
      input.model,
    );
  }
  const dataset = await loadDataset(input.data, { label: input.label, seed: input.seed ?? 42 });
  const scored = await heldOutMetrics(input.store, version.name, version.version, dataset);
  if (scored === null) {
    throw new DatasetError(
      `${version.name}@${version.version} takes other features or classes than ${input.data}`,
    );
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
