/**
 * Registering a version together with its files, so that no READY version lacks them: the record
 * comes first (it assigns the number the files name), the files next, READY last.
 */
import type { ModelKind, ModelVersion, ModelVersionInput } from "@mlops/contracts";
import type { ModelRepository } from "./store.js";

/**
 * Registers `input`, runs `writeFiles` with the new (pending) version, then marks it READY. If
 * writing fails, the version is marked FAILED_REGISTRATION and the writer's error is thrown; if
 * the process dies meanwhile, the version stays PENDING_REGISTRATION. Either way no alias can
 * point at it and `name` (the newest READY version) passes it by. Without `writeFiles`, the
 * files `input.artifact` names are in place already.
 */
export async function registerVersion(
  models: ModelRepository,
  input: ModelVersionInput,
  writeFiles?: (version: ModelVersion) => Promise<unknown>,
): Promise<ModelVersion> {
  const pending = await models.register(input);
  try {
    await writeFiles?.(pending);
  } catch (error) {
    // Best effort: the writer's error is the one to report; a store that is down keeps it pending.
    await models
      .finishRegistration(pending.name, pending.version, "FAILED_REGISTRATION")
      .catch(() => undefined);
    throw error;
  }
  return models.finishRegistration(pending.name, pending.version, "READY");
}

/**
 * Why a server cannot load `version` as a `kind` model, or null when it can: it must be of that
 * kind and READY (a version whose registration did not finish may have no files). The text
 * follows the version's `name@version` in the callers' messages.
 */
export function unservable(version: ModelVersion, kind: ModelKind): string | null {
  if (version.kind !== kind) return `is a ${version.kind} model, not ${kind}`;
  if (version.status !== "READY") {
    return `is ${version.status}: only a READY version is served (its files may be missing)`;
  }
  return null;
}

/**
 * Why a `kind` version cannot be registered under `model`, whose versions are of kind `existing`
 * (undefined for a new name), or null when it can: one kind of model per name. The stores apply it
 * at registration; a job can ask first, before it trains.
 */
export function kindClash(
  model: string,
  existing: ModelKind | undefined,
  kind: ModelKind,
): string | null {
  return existing !== undefined && existing !== kind
    ? `model ${model} holds ${existing} versions, so a ${kind} version cannot be registered under that name: choose another name`
    : null;
}
