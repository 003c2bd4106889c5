/**
 * What each arm of an experiment serves: its model reference resolved in the registry now, and
 * the algorithm of the version it resolves to, so a report can say that a boosted-trees
 * challenger ran against a random-forest champion. An arm whose reference no longer resolves
 * (a deleted alias) has none.
 */
import {
  type ClassifierAlgorithm,
  type Experiment,
  ModelRefSchema,
  versionAlgorithm,
} from "@mlops/contracts";
import { type Store, StoreNotFoundError } from "@mlops/store";

/** An arm's resolved version and its algorithm (null for a version that is not a classifier). */
export interface ArmModel {
  readonly name: string;
  readonly version: number;
  readonly algorithm: ClassifierAlgorithm | null;
}

/** Each arm's model by arm name; null where the reference resolves to nothing. */
export async function armModels(
  store: Pick<Store, "models">,
  experiment: Pick<Experiment, "variants">,
): Promise<Record<string, ArmModel | null>> {
  const entries = await Promise.all(
    experiment.variants.map(async (v): Promise<[string, ArmModel | null]> => {
      const ref = ModelRefSchema.safeParse(v.model);
      if (!ref.success) return [v.name, null];
      try {
        const version = await store.models.resolve(ref.data);
        return [
          v.name,
          { name: version.name, version: version.version, algorithm: versionAlgorithm(version) },
        ];
      } catch (error) {
        if (error instanceof StoreNotFoundError) return [v.name, null];
        throw error;
      }
    }),
  );
  return Object.fromEntries(entries);
}
