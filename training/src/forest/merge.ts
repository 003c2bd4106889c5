import type { RandomForestJSON } from "@mlops/models";
import { OptionError } from "../errors.js";

/**
 * Joins forests trained as shares of one forest (see `FitOptions.treeRange`), in the order given:
 * trees and their feature indexes are concatenated. The shares must agree on everything else
 * (features, tree options, seed, bagging); otherwise an {@link OptionError} names the share.
 */
export function mergeForests(parts: readonly RandomForestJSON[]): RandomForestJSON {
  if (parts.length === 0) throw new OptionError("parts", "must hold at least one forest", 0);
  const [head] = parts;
  const shared = (m: RandomForestJSON) =>
    JSON.stringify([
      m.name,
      m.baseModel.n,
      m.baseModel.treeOptions,
      m.baseModel.seed,
      m.baseModel.useSampleBagging,
    ]);
  parts.forEach((part, i) => {
    if (shared(part) !== shared(head)) {
      throw new OptionError(
        `parts[${i}]`,
        "must have the features, tree options, seed and bagging of parts[0]",
        i,
      );
    }
  });
  const estimators = parts.flatMap((p) => p.baseModel.estimators);
  return {
    name: "RFClassifier",
    baseModel: {
      ...head.baseModel,
      indexes: parts.flatMap((p) => p.baseModel.indexes),
      nEstimators: estimators.length,
      estimators,
    },
  };
}
