/**
 * Releases as stack-config changes. An A/B decision (`mlops ab analyze`) or a freshly pushed
 * challenger image becomes the exact list of `<project>:serving.<field>` values to set; the
 * pipeline prints the list, and with `--apply` writes it with the Pulumi CLI before `pulumi up`.
 * Planning is pure: the same decision, config and clock reading always give the same changes.
 */
import {
  CHALLENGER,
  CHAMPION,
  type Decision,
  type DecisionKind,
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
import { armsOf, experimentFor, sameArms } from "./experiment.js";
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
 * How far after `now` a decision may be dated. The runner that analysed and the machine that
 * releases keep synchronised clocks, seconds apart; five minutes (Kerberos' default allowance)
 * absorbs that and still refuses a record from the future (a wrong clock or a hand-made file).
 */
export const DECISION_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * No decision is older than this (10^12 ms, 2001-09-09): an epoch in seconds, or 0, reads as a
 * date in 1970 here, not a decision.
 */
export const EARLIEST_DECISION_MS = 1e12;

const iso = (ms: number) => new Date(ms).toISOString();

/** The arm whose model every arm serves once a decision is applied (`planDecision`'s targets). */
const KEPT_ARM: Partial<Record<DecisionKind, string>> = { promote: CHALLENGER, rollback: CHAMPION };

/**
 * Refuses a decision the stack must not act on: one about another experiment, dated after `now`
 * beyond the clock-skew allowance, recorded without its arms, or whose arms are not the stack's
 * champion and challenger models (a stack edited by hand can pair the running experiment's id
 * with a new challenger). The models applying the decision left are accepted too, so planning it
 * again is a no-op rather than an error. Arms match on models only: a decision knows no image
 * (neither the experiment nor the prediction logs name one), so the image tags the stack holds
 * per arm cannot be checked; `mlops release candidate` gives every new build its own experiment.
 */
function requireDecisionFor(decision: Decision, current: ServingRelease, now: number): void {
  const { id, experiment_id: experiment, decided_at: decidedAt, variants } = decision;
  if (experiment !== current.experimentId) {
    throw new Error(
      `--decision is about experiment ${experiment}, but the stack runs ${current.experimentId}`,
    );
  }
  if (decidedAt < EARLIEST_DECISION_MS) {
    throw new Error(
      `--decision ${id} is dated ${iso(decidedAt)}: decided_at must be milliseconds since 1970 (a time in seconds reads as 1970)`,
    );
  }
  if (decidedAt > now + DECISION_CLOCK_SKEW_MS) {
    throw new Error(
      `--decision ${id} is dated ${iso(decidedAt)}, more than ${DECISION_CLOCK_SKEW_MS / 60_000} minutes after now (${iso(now)}): a decision cannot come from the future (check the clock of the machine that recorded it)`,
    );
  }
  if (variants === undefined) {
    throw new Error(
      `--decision ${id} does not name the arms it judged (it was recorded before decisions did), so it cannot be checked against the stack's models: re-run \`mlops ab analyze --experiment ${experiment} --decision-out <file>\` and plan that file`,
    );
  }
  const served = experimentFor(current).variants;
  const kept = variants.find((v) => v.name === KEPT_ARM[decision.decision]);
  const applied = kept && variants.map(({ name }) => ({ name, model: kept.model }));
  if (!sameArms(served, variants) && !(applied && sameArms(served, applied))) {
    throw new Error(
      `--decision ${id} judged ${armsOf(variants)}, but the stack serves ${armsOf(served)} under experiment ${experiment}: the decision is about other models (was the stack config edited by hand?); give the served pair its own experiment (\`mlops release candidate\`) and analyze that`,
    );
  }
}

/**
 * The stack-config changes a decision asks for:
 * - promote: the challenger's image and model become the champion's; the canary closes;
 * - rollback: the canary closes and the challenger goes back to the champion's image and model;
 * - continue: nothing changes, the experiment keeps running;
 * - invalid: nothing changes and the plan is not ok (the data cannot support a decision).
 * A decision that is not about what the stack serves is refused (`requireDecisionFor`); `now`
 * (epoch ms) is what its date is checked against, so the same inputs give the same plan.
 */
export function planDecision(
  decision: Decision,
  current: ServingRelease,
  now: number,
): ReleasePlan {
  requireDecisionFor(decision, current, now);
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
