/**
 * The A/B experiment a stack runs, defined in the store so that the serving pods' prediction logs
 * have an experiment to belong to and `mlops ab analyze` has one to judge. The stack config is
 * the source: its experiment id, the two pinned models and the canary weight as the challenger's
 * share. Defining is idempotent: the same arms again are a no-op (whatever the weights: closing
 * the canary after a decision keeps the experiment), other models under the same id are refused
 * (a new challenger gets a new experiment id from `mlops release candidate`).
 */
import {
  CHALLENGER,
  CHAMPION,
  type DecisionVariant,
  type ExperimentInput,
  PinnedModelRefSchema,
  type ServingRelease,
} from "@mlops/contracts";
import { type Store, StoreNotFoundError, unservable } from "@mlops/store";

/**
 * How the pipeline's experiments are judged: accuracy on the outcomes clients post, and the
 * challenger may not raise the error rate by more than 10 % or the mean latency by more than 25 %.
 */
export const PIPELINE_EXPERIMENT_POLICY = {
  primary_metric: "accuracy",
  guardrails: [
    { metric: "error_rate", max_relative_increase: 0.1 },
    { metric: "latency_mean_ms", max_relative_increase: 0.25 },
  ],
} as const satisfies Pick<ExperimentInput, "primary_metric" | "guardrails">;

/** The experiment definition for what the stack serves. */
export function experimentFor(serving: ServingRelease): ExperimentInput {
  return {
    id: serving.experimentId,
    description: `${serving.championModel} (champion) vs ${serving.challengerModel} (challenger) behind the canary Ingress`,
    variants: [
      { name: CHAMPION, weight: 100 - serving.canaryWeight, model: serving.championModel },
      { name: CHALLENGER, weight: serving.canaryWeight, model: serving.challengerModel },
    ],
    ...PIPELINE_EXPERIMENT_POLICY,
    guardrails: [...PIPELINE_EXPERIMENT_POLICY.guardrails],
    state: "running",
  };
}

/**
 * The version `ref` (the stack's `serving.<key>`) names must be one the pods can load from the
 * store (a READY classifier, by the store's `unservable`): an experiment of a version that is
 * missing, unfinished or a GARCH fit would only fail once they start. Checked before the
 * experiment is defined, which the pipeline does before `pulumi up`. A missing version is named
 * with the key to set and what the registry holds instead.
 */
async function requireServable(store: Store, key: string, ref: string): Promise<void> {
  const at = `serving.${key} ${ref}`;
  const version = await store.models.resolve(ref).catch(async (error: unknown) => {
    if (!(error instanceof StoreNotFoundError)) throw error;
    const holds = await registryHolds(store, PinnedModelRefSchema.parse(ref).name);
    throw new Error(
      `${at}: ${error.message}; ${holds}. Set serving.${key} in the stack config to a READY version (pulumi config set --path serving.${key} <name>@<version>); on a new estate the pipeline's first run sets it (.github/README.md, one-time bootstrap)`,
    );
  });
  const why = unservable(version, "classifier");
  if (why !== null) throw new Error(`${at} (v${version.version}) ${why}`);
}

/** How many of a model's servable versions a missing-model error lists, newest first. */
export const LISTED_VERSIONS = 5;

/**
 * What the registry holds for a stack that names a version of `name` it does not have: the
 * READY classifier versions of `name` (newest first, with their aliases), or, when it has none,
 * the models it does hold.
 */
async function registryHolds(store: Store, name: string): Promise<string> {
  const versions = await store.models.list(name);
  if (versions.length === 0) {
    const models = await store.models.summaries();
    if (models.length === 0) return "the registry holds no models yet";
    const held = models.map((m) => `${m.name} (${m.kind})`).join(", ");
    return `the registry has no model ${name}, only ${held}`;
  }
  const servable = versions.filter((v) => unservable(v, "classifier") === null);
  if (servable.length === 0) return `the registry has no READY classifier version of ${name}`;
  const listed = servable
    .slice(0, LISTED_VERSIONS)
    .map((v) => `${name}@${v.version}${v.aliases.length > 0 ? ` (${v.aliases.join(", ")})` : ""}`);
  const older = servable.length - listed.length;
  return `the registry's READY versions of ${name}: ${listed.join(", ")}${older > 0 ? ` and ${older} older` : ""}`;
}

/**
 * `name=model` per variant: what makes two definitions the same experiment, and a decision one
 * about the arms a stack serves.
 */
export function armsOf(variants: readonly DecisionVariant[]): string {
  return variants.map((v) => `${v.name}=${v.model}`).join(", ");
}

/** Whether `a` and `b` are the same arms, in whatever order they are listed. */
export function sameArms(a: readonly DecisionVariant[], b: readonly DecisionVariant[]): boolean {
  const key = (vs: readonly DecisionVariant[]) => armsOf([...vs].sort(byName));
  return key(a) === key(b);
}

const byName = (a: DecisionVariant, b: DecisionVariant) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * Defines the stack's experiment in `store` unless it is already there; returns whether it was
 * created. Throws when the id exists with other arms.
 */
export async function ensureStackExperiment(
  store: Store,
  serving: ServingRelease,
): Promise<{ created: boolean; experiment: ExperimentInput }> {
  const wanted = experimentFor(serving);
  const existing = await store.experiments.get(wanted.id);
  if (existing === null) {
    await requireServable(store, "championModel", serving.championModel);
    await requireServable(store, "challengerModel", serving.challengerModel);
    await store.experiments.create(wanted);
    return { created: true, experiment: wanted };
  }
  if (!sameArms(existing.variants, wanted.variants)) {
    throw new Error(
      `experiment ${wanted.id} already exists with ${armsOf(existing.variants)}, not ${armsOf(wanted.variants)}: give the new pair its own id (mlops release candidate --experiment)`,
    );
  }
  return { created: false, experiment: wanted };
}
