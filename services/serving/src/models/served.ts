/**
 * The models this process serves, resolved once at start from the configured references
 * (`classifier@champion`, …) through the registry and loaded from verified artifacts. The GARCH
 * reference is resolved again on each use (a promotion moves its alias); other registered GARCH
 * fits are loaded on first use and kept in a small cache.
 */
import {
  armsMismatch,
  formatModelRef,
  type ModelKind,
  type ModelRef,
  ModelRefSchema,
  type ModelVersion,
  type ServedVariant,
  type ServingConfig,
} from "@mlops/contracts";
import type { GarchFit } from "@mlops/garch";
import { ArtifactError, type LoadedArtifact, loadGarch, readArtifact } from "@mlops/models";
import { type Store, StoreNotFoundError, unservable } from "@mlops/store";
import { ServingError } from "../errors.js";
import { type Classifier, loadClassifier } from "./classifier.js";

/** A GARCH fit and the version it came from. */
export interface ServedGarch {
  readonly name: string;
  readonly version: number;
  readonly fit: GarchFit;
}

/** A GARCH fit with its registry record as it reads now (aliases move, the fit does not). */
export interface ResolvedGarch {
  readonly record: ModelVersion;
  readonly served: ServedGarch;
}

/** How long a model took to load: registry lookup, artifact read and check, restore. */
export interface ModelLoad {
  /** `name@version`. */
  readonly model: string;
  readonly kind: ModelKind;
  readonly ms: number;
}

/** Most GARCH fits kept in memory besides the configured one. */
const GARCH_CACHE_SIZE = 16;

export interface ServedModels {
  /** Classifier per variant this process serves (one in single mode, both in split mode). */
  readonly classifiers: Partial<Record<ServedVariant, Classifier>>;
  /** The configured GARCH fit as loaded at start, if any. */
  readonly garch: ServedGarch | null;
  /** The classifier for `variant`; it is always loaded for the variants assignment yields. */
  classifier(variant: ServedVariant): Classifier;
  /**
   * The models served and how long each took to load: those loaded at start, the GARCH entry
   * replaced when the configured reference has resolved to another version since.
   */
  readonly loads: readonly ModelLoad[];
  /**
   * Calls `listener` each time the configured GARCH reference resolves to another version than
   * the one `loads` names (after a promotion), with that version's load and the one it replaces.
   */
  onGarchReload(listener: (load: ModelLoad, replaced: ModelLoad) => void): void;
  /** A registered GARCH fit by reference text (`name`, `name@3`, `name@alias`). */
  garchFit(ref: string): Promise<ServedGarch>;
  /** The same, with the version's registry record as resolved now. */
  resolveGarch(ref: string): Promise<ResolvedGarch>;
}

/** Resolves `ref`; a reference nothing matches is MODEL_NOT_FOUND. */
async function resolve(store: Store, ref: ModelRef, kind: ModelKind): Promise<ModelVersion> {
  let version: ModelVersion;
  try {
    version = await store.models.resolve(ref);
  } catch (error) {
    if (error instanceof StoreNotFoundError) {
      throw new ServingError(
        "MODEL_NOT_FOUND",
        `no registered model matches ${formatModelRef(ref)}`,
      );
    }
    throw error;
  }
  const why = unservable(version, kind);
  if (why !== null) {
    throw new ServingError("MODEL_NOT_FOUND", `${version.name}@${version.version} ${why}`);
  }
  return version;
}

/** A version's artifact; a file it cannot read, or one that does not check, names the version. */
async function readVersion(version: ModelVersion): Promise<LoadedArtifact> {
  try {
    return await readArtifact(version.artifact);
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    throw new ArtifactError(`${version.name}@${version.version}: ${error.message}`, {
      cause: error,
    });
  }
}
/** Resolves and loads what `config` names; throws naming the reference that failed. */
export async function loadServedModels(config: ServingConfig, store: Store): Promise<ServedModels> {
  // The GARCH service serves no classifier; single mode one arm; split mode both.
  const variants: ServedVariant[] =
    config.mode === "single"
      ? [config.variant!]
      : config.mode === "split"
        ? ["champion", "challenger"]
        : [];
  const loads: ModelLoad[] = [];
  const classifiers: Partial<Record<ServedVariant, Classifier>> = {};
  for (const variant of variants) {
    const ref = variant === "champion" ? config.championModel : config.challengerModel;
    const started = performance.now();
    const version = await resolve(store, ref, "classifier");
    classifiers[variant] = loadClassifier(await readVersion(version));
    loads.push({
      model: `${version.name}@${version.version}`,
      kind: "classifier",
      ms: performance.now() - started,
    });
  }
  const { champion, challenger } = classifiers;
  if (champion && challenger) {
    const why = armsMismatch(champion.manifest.feature_schema, challenger.manifest.feature_schema);
    if (why !== null) {
      throw new Error(
        `champion ${champion.name}@${champion.version} and challenger ${challenger.name}@${challenger.version} cannot be served as one A/B test: ${why}`,
      );
    }
  }
  // Fits by `name@version`, with how long each took to load (from resolving its reference).
  const cache = new Map<string, { readonly served: ServedGarch; readonly load: ModelLoad }>();
  const garchRef = config.garchModel ? formatModelRef(config.garchModel) : null;
  // Where `loads` holds the configured GARCH fit's load (pushed at start), and who hears of it
  // being replaced.
  let garchAt = -1;
  const reloadListeners: ((load: ModelLoad, replaced: ModelLoad) => void)[] = [];
  const resolveGarch = async (text: string): Promise<ResolvedGarch> => {
    const ref = ModelRefSchema.safeParse(text);
    if (!ref.success) {
      const message = ref.error.issues[0]?.message ?? "must be NAME, NAME@version or NAME@alias";
      throw new ServingError("VALIDATION_FAILED", `model: ${message}`, [
        { path: "model", message },
      ]);
    }
    const started = performance.now();
    const record = await resolve(store, ref.data, "garch");
    const model = `${record.name}@${record.version}`;
    let cached = cache.get(model);
    if (cached === undefined) {
      const fit = loadGarch(await readVersion(record));
      const load: ModelLoad = { model, kind: "garch", ms: performance.now() - started };
      cached = { served: { name: record.name, version: record.version, fit }, load };
      if (cache.size >= GARCH_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(model, cached);
    }
    if (formatModelRef(ref.data) === garchRef) {
      if (garchAt < 0) garchAt = loads.push(cached.load) - 1;
      const replaced = loads[garchAt]!;
      if (replaced.model !== model) {
        loads[garchAt] = cached.load;
        for (const listener of reloadListeners) listener(cached.load, replaced);
      }
    }
    return { record, served: cached.served };
  };
  const garch = garchRef === null ? null : (await resolveGarch(garchRef)).served;
  return {
    classifiers,
    garch,
    loads,
    onGarchReload(listener) {
      reloadListeners.push(listener);
    },
    classifier(variant) {
      return classifiers[variant]!;
    },
    resolveGarch,
    async garchFit(text) {
      return (await resolveGarch(text)).served;
    },
  };
}
