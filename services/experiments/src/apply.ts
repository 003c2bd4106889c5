/**
 * Turning a decision into state: record it (append-only), and on `promote` move the `champion`
 * alias to the challenger's model version, atomically and only if the champion is still the
 * version the experiment measured. `promote` and `rollback` conclude the experiment, which then
 * takes no more decisions.
 */
import { CHAMPION, type Decision, type ExperimentState } from "@mlops/contracts";
import type { Store } from "@mlops/store";
import type { Analysis } from "./analyze.js";
import { toDecisionRecord } from "./decision-record.js";
import { ExperimentsInputError } from "./errors.js";

/** Options of `applyDecision`. */
export interface ApplyOptions {
  /** Decision id (idempotent: applying the same id twice records one decision). */
  readonly decisionId?: string;
  /** Decision time in epoch ms. Default `Date.now()`. */
  readonly now?: number;
}

/** What `applyDecision` changed. */
export interface AppliedDecision {
  readonly record: Decision;
  /** The champion alias move on promote: model name, previous and new version. */
  readonly championMove: {
    readonly model: string;
    readonly from: number;
    readonly to: number;
  } | null;
  /** The experiment's state afterwards. */
  readonly state: ExperimentState;
}

/**
 * Record `analysis`'s decision in `store` and carry it out. On promote, `champion` on the
 * challenger's model moves to the challenger's version with the champion arm's version as the
 * precondition, so a champion that moved meanwhile fails with the store's `StoreConflictError`
 * and nothing is recorded; retrying after a fresh analysis is safe. A concluded experiment is
 * refused (`ExperimentsInputError` CONCLUDED), and so nothing is recorded twice.
 */
export async function applyDecision(
  store: Pick<Store, "experiments" | "models">,
  analysis: Analysis,
  opts: ApplyOptions = {},
): Promise<AppliedDecision> {
  const { experiment, result, concludedBy } = analysis;
  if (experiment.state === "concluded") {
    const by =
      concludedBy === null
        ? "it takes no more decisions"
        : `decision ${concludedBy.id} (${concludedBy.decision}) concluded it, and it takes no more`;
    throw new ExperimentsInputError(
      "CONCLUDED",
      "experimentId",
      `experiment ${experiment.id} is concluded: ${by}; a new challenger is a new experiment`,
    );
  }
  const decidedAt = opts.now ?? Date.now();
  const record = toDecisionRecord(result, {
    id: opts.decisionId ?? `${experiment.id}:${decidedAt}`,
    experiment,
    decidedAt,
  });
  let championMove: AppliedDecision["championMove"] = null;
  if (result.decision === "promote") {
    const modelOf = (arm: string) => experiment.variants.find((v) => v.name === arm)!.model;
    const current = await store.models.resolve(modelOf(result.arms.control));
    const next = await store.models.resolve(modelOf(result.arms.treatment));
    // Champion and challenger are normally versions of one model; if the challenger is another
    // model, its own champion alias (if any) is what gets replaced.
    const from =
      current.name === next.name
        ? current.version
        : ((await store.models.aliases(next.name))[CHAMPION] ?? null);
    await store.models.setAlias(next.name, CHAMPION, next.version, { expectedVersion: from });
    championMove = { model: next.name, from, to: next.version };
  }
  await store.experiments.appendDecision(record);
  const concludes = result.decision === "promote" || result.decision === "rollback";
  const state = concludes
    ? (await store.experiments.setState(experiment.id, "concluded")).state
    : experiment.state;
  return { record, championMove, state };
}
