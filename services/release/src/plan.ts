/**
 * Releases as stack-config changes. An A/B decision (`mlops ab analyze`) or a freshly pushed
 * challenger image becomes the exact list of `<project>:serving.<field>` values to set; the
 * pipeline prints the list, and with `--apply` writes it with the Pulumi CLI before `pulumi up`.
 * Planning is pure: the same decision and config always give the same changes.
 */
import {
  type Decision,
  DecisionSchema,
  ImageTagSchema,
  NameSchema,
  PinnedModelRefTextSchema,
  parseOrThrow,
  SERVING_CONFIG_KEY,
  type ServingField,
  type ServingRelease,
} from "@mlops/contracts";
import type { ZodType, z } from "zod";
import type { StackTarget } from "./stack-config.js";

/** One setting to change: its field in the serving block, the current and the new value. */
export interface ConfigChange {
  readonly field: ServingField;
  readonly from: string | number;
  readonly to: string | number;
}

/** What a release does to a stack. */
export interface ReleasePlan {
  /** `promote`, `rollback`, `continue`, `invalid` (from a decision) or `candidate`. */
  readonly action: Decision["decision"] | "candidate";
  /** Why, in one line (the decision's reason, or what the candidate is). */
  readonly reason: string;
  readonly changes: readonly ConfigChange[];
  /** False when the release must not go ahead (an `invalid` decision): the CLI exits non-zero. */
  readonly ok: boolean;
}

/** Canary weight once a decision ends the experiment: all traffic on the champion. */
export const CONCLUDED_CANARY_WEIGHT = 0;

/** The changes that take `current` to `target`, in field order, skipping values already set. */
function diff(current: ServingRelease, target: Partial<ServingRelease>): ConfigChange[] {
  return (Object.keys(target) as ServingField[])
    .filter((field) => target[field] !== current[field])
    .map((field) => ({ field, from: current[field], to: target[field]! }));
}

/** Validates a decision read from a file (the contracts' Decision record). */
export function parseDecision(value: unknown): Decision {
  return parseOrThrow(DecisionSchema, value, "--decision");
}

/** A single flag value checked with `schema`; the error names the flag and the rule. */
function flag<S extends ZodType>(name: string, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${name} ${result.error.issues[0]!.message}`);
  return result.data;
}

/**
 * The stack-config changes a decision asks for:
 * - promote: the challenger's image and model become the champion's; the canary closes;
 * - rollback: the canary closes and the challenger goes back to the champion's image and model;
 * - continue: nothing changes, the experiment keeps running;
 * - invalid: nothing changes and the plan is not ok (the data cannot support a decision).
 * A decision about another experiment than the stack runs is refused.
 */
export function planDecision(decision: Decision, current: ServingRelease): ReleasePlan {
  if (decision.experiment_id !== current.experimentId) {
    throw new Error(
      `--decision is about experiment ${decision.experiment_id}, but the stack runs ${current.experimentId}`,
    );
  }
  const base = { action: decision.decision, reason: decision.reason };
  switch (decision.decision) {
    case "promote":
      return {
        ...base,
        ok: true,
        changes: diff(current, {
          championImageTag: current.challengerImageTag,
          championModel: current.challengerModel,
          canaryWeight: CONCLUDED_CANARY_WEIGHT,
        }),
      };
    case "rollback":
      return {
        ...base,
        ok: true,
        changes: diff(current, {
          canaryWeight: CONCLUDED_CANARY_WEIGHT,
          challengerImageTag: current.championImageTag,
          challengerModel: current.championModel,
        }),
      };
    case "continue":
      return { ...base, ok: true, changes: [] };
    case "invalid":
      return { ...base, ok: false, changes: [] };
  }
}

/** A new challenger build to put behind the canary. */
export interface Candidate {
  readonly imageTag: string;
  /** Pinned model reference the image serves, e.g. `classifier@14`. */
  readonly model: string;
  /** Canary weight to run the experiment at; unset keeps the stack's. */
  readonly canaryWeight?: number;
  /** Experiment the new pair runs as; unset derives `<name>-<champion>-vs-<challenger>`. */
  readonly experimentId?: string;
}

const VERSION_REF = /^([^@]+)@(\d+)$/;

/**
 * `classifier@12` vs `classifier@14` → `classifier-12-vs-14`: each pair of versions is its own
 * experiment, so the A/B records of an earlier challenger never mix with the new one's.
 */
export function experimentIdFor(championModel: string, challengerModel: string): string {
  const champion = VERSION_REF.exec(championModel);
  const challenger = VERSION_REF.exec(challengerModel);
  if (!champion || !challenger || champion[1] !== challenger[1]) {
    throw new Error(
      `--experiment is required: cannot derive one from ${championModel} and ${challengerModel} (both must be versions of one model)`,
    );
  }
  return NameSchema.parse(`${champion[1]}-${champion[2]}-vs-${challenger[2]}`);
}

/** The stack-config changes that deploy `candidate` as the challenger. */
export function planCandidate(candidate: Candidate, current: ServingRelease): ReleasePlan {
  const imageTag = flag("--image-tag", ImageTagSchema, candidate.imageTag);
  const model = flag("--model", PinnedModelRefTextSchema, candidate.model);
  const experimentId =
    candidate.experimentId === undefined
      ? experimentIdFor(current.championModel, model)
      : flag("--experiment", NameSchema, candidate.experimentId);
  // A decision names only its experiment: a new build under the running id would let that
  // experiment's decision (analysed on the old challenger) promote one nobody measured.
  const newBuild = model !== current.challengerModel || imageTag !== current.challengerImageTag;
  if (newBuild && experimentId === current.experimentId) {
    throw new Error(
      `--experiment ${experimentId} is the running experiment, and a new challenger is a new experiment: the running one's decision must not apply to it (name another, or leave --experiment out to derive one)`,
    );
  }
  return {
    action: "candidate",
    reason: `challenger ${model} in image ${imageTag} as experiment ${experimentId}`,
    ok: true,
    changes: diff(current, {
      challengerImageTag: imageTag,
      challengerModel: model,
      experimentId,
      ...(candidate.canaryWeight === undefined ? {} : { canaryWeight: candidate.canaryWeight }),
    }),
  };
}

/** `mlops-platform:serving.canaryWeight`: the key as `pulumi config` shows it. */
export function configKeyOf(target: Pick<StackTarget, "project">, field: ServingField): string {
  return `${target.project}:${SERVING_CONFIG_KEY}.${field}`;
}

/** The plan for people: what, why, and one line per change. */
export function formatPlan(plan: ReleasePlan, target: StackTarget): string {
  const lines = [
    `${plan.action}: ${plan.reason}`,
    `stack ${target.stack} (${target.file}): ${
      plan.changes.length === 0
        ? "no config changes"
        : `${plan.changes.length} config change${plan.changes.length === 1 ? "" : "s"}`
    }`,
  ];
  const width = Math.max(0, ...plan.changes.map((c) => configKeyOf(target, c.field).length));
  for (const c of plan.changes) {
    lines.push(`  ${configKeyOf(target, c.field).padEnd(width)}  ${c.from} -> ${c.to}`);
  }
  if (!plan.ok) lines.push("the decision is invalid: nothing is released");
  return `${lines.join("\n")}\n`;
}

/** The plan for scripts (`--json`). */
export function planJson(plan: ReleasePlan, target: StackTarget, applied: boolean) {
  return {
    action: plan.action,
    reason: plan.reason,
    ok: plan.ok,
    stack: target.stack,
    file: target.file,
    changes: plan.changes.map((c) => ({ key: configKeyOf(target, c.field), ...c })),
    applied,
  };
}
