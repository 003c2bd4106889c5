/**
 * The models this process serves, resolved once at start from the configured references
 * (`classifier@champion`, …) through the registry and loaded from verified artifacts. Other
 * registered GARCH fits are loaded on first use and kept in a small cache.
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

/** How long a model took to load at start: registry lookup, artifact read and check, restore. */
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
  /** The configured GARCH fit, if any. */
  readonly garch: ServedGarch | null;
  /** The classifier for `variant`; it is always loaded for the variants assignment yields. */
  classifier(variant: ServedVariant): Classifier;
  /** The models loaded at start and how long each took. */
  readonly loads: readonly ModelLoad[];
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
  const timed = async <T>(kind: ModelKind, load: () => Promise<[ModelVersion, T]>): Promise<T> => {
    const started = performance.now();
    const [version, model] = await load();
    loads.push({
      model: `${version.name}@${version.version}`,
      kind,
      ms: performance.now() - started,
    });
    return model;
  };
  const classifiers: Partial<Record<ServedVariant, Classifier>> = {};
  for (const variant of variants) {
    const ref = variant === "champion" ? config.championModel : config.challengerModel;
    classifiers[variant] = await timed("classifier", async () => {
      const version = await resolve(store, ref, "classifier");
      return [version, loadClassifier(await readVersion(version))];
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
  const cache = new Map<string, ServedGarch>();
  const loadFit = async (version: ModelVersion): Promise<ServedGarch> => {
    const fit = loadGarch(await readVersion(version));
    const served = { name: version.name, version: version.version, fit };
    if (cache.size >= GARCH_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(`${version.name}@${version.version}`, served);
    return served;
  };
  const garchModel = config.garchModel;
  const garch = garchModel
    ? await timed("garch", async () => {
        const version = await resolve(store, garchModel, "garch");
        return [version, await loadFit(version)];
      })
    : null;
  const resolveGarch = async (text: string): Promise<ResolvedGarch> => {
    const ref = ModelRefSchema.safeParse(text);
    if (!ref.success) {
      const message = ref.error.issues[0]?.message ?? "must be NAME, NAME@version or NAME@alias";
      throw new ServingError("VALIDATION_FAILED", `model: ${message}`, [
        { path: "model", message },
      ]);
    }
    const record = await resolve(store, ref.data, "garch");
    const served = cache.get(`${record.name}@${record.version}`) ?? (await loadFit(record));
    return { record, served };
  };
  return {
    classifiers,
    garch,
    loads,
    classifier(variant) {
      return classifiers[variant]!;
    },
    resolveGarch,
    async garchFit(text) {
      return (await resolveGarch(text)).served;
    },
  };
}
