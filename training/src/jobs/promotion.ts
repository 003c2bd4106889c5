import { loadClassifierModel, readArtifact } from "@mlops/models";
import type { Store } from "@mlops/store";
import { metricsRecord } from "../artifact.js";
import { type Dataset, takeRows } from "../dataset.js";
import { OptionError } from "../errors.js";
import { classificationMetrics } from "../metrics.js";

/** Metrics a promotion may be judged on; for these two lower is better, for the rest higher. */
const LOWER_IS_BETTER = new Set(["log_loss", "brier"]);
export const PROMOTION_METRICS = [
  "accuracy",
  "balanced_accuracy",
  "precision",
  "recall",
  "f1",
  "roc_auc",
  "log_loss",
  "brier",
] as const;

/** `--auto-promote`: the gate a new version must pass to become `challenger`. */
export interface PromotionGate {
  /** One of {@link PROMOTION_METRICS}. */
  readonly metric: string;
  /** The bar: metric ≥ threshold (≤ for log_loss and brier). */
  readonly threshold: number;
}

/** What was decided, and why; recorded on the run. */
export interface PromotionDecision {
  readonly promoted: boolean;
  readonly reason: string;
  /** The champion's value of the metric on the same held-out rows, when there is a champion. */
  readonly champion: { readonly version: number; readonly value: number } | null;
}

/** Checks a gate; throws {@link OptionError} naming `metric` or `threshold`. */
export function checkGate(gate: PromotionGate): void {
  if (!(PROMOTION_METRICS as readonly string[]).includes(gate.metric)) {
    throw new OptionError("metric", `must be one of ${PROMOTION_METRICS.join(", ")}`, gate.metric);
  }
  if (!Number.isFinite(gate.threshold)) {
    throw new OptionError("threshold", "must be a finite number", gate.threshold);
  }
}

/**
 * A registered forest's metrics on `dataset`'s held-out rows, or null when it takes other
 * features or classes than the dataset has (then it cannot be compared on these rows).
 */
export async function heldOutMetrics(
  store: Store,
  name: string,
  version: number,
  dataset: Dataset,
): Promise<Record<string, number> | null> {
  const record = await store.models.get(name, version);
  if (record === null)
    throw new OptionError("model", "is not a registered version", `${name}@${version}`);
  const artifact = await readArtifact(record.artifact);
  const schema = artifact.manifest.feature_schema;
  const same =
    schema.kind === "classifier" &&
    schema.features.map((f) => f.name).join("\u0000") === dataset.featureNames.join("\u0000") &&
    schema.classes.join("\u0000") === dataset.classNames.join("\u0000");
  if (!same) return null;
  const test = takeRows(dataset, dataset.split.test);
  const { predictor } = loadClassifierModel(artifact);
  return metricsRecord(
    classificationMetrics(
      test.y,
      predictor.predict(test.x),
      predictor.predictProbabilities(test.x),
      dataset.classNames.length,
    ),
  );
}

/**
 * Decides whether the new version becomes `challenger`: its metric must clear the threshold and
 * must not be worse than the current champion's on the same held-out rows (the champion's
 * artifact is scored on them here). The alias is set only when promoted; `champion` never moves
 * here, only through an A/B decision.
 */
export async function decidePromotion(
  store: Store,
  name: string,
  version: number,
  value: number,
  gate: PromotionGate,
  dataset: Dataset,
): Promise<PromotionDecision> {
  checkGate(gate);
  const lower = LOWER_IS_BETTER.has(gate.metric);
  const worse = (a: number, b: number) => (lower ? a > b : a < b);
  const fmt = (x: number) => x.toFixed(4);
  if (worse(value, gate.threshold)) {
    return {
      promoted: false,
      reason: `${gate.metric} ${fmt(value)} does not clear the threshold ${gate.threshold} (${lower ? "≤" : "≥"} needed)`,
      champion: null,
    };
  }
  const championVersion = (await store.models.aliases(name)).champion;
  let champion: PromotionDecision["champion"] = null;
  if (championVersion !== undefined) {
    const scored = await heldOutMetrics(store, name, championVersion, dataset);
    if (scored === null) {
      return {
        promoted: false,
        reason: `champion v${championVersion} takes other features or classes; it cannot be compared on this data`,
        champion: null,
      };
    }
    champion = { version: championVersion, value: scored[gate.metric] };
    if (champion.value === undefined || worse(value, champion.value)) {
      return {
        promoted: false,
        reason: `${gate.metric} ${fmt(value)} is worse than champion v${championVersion}'s ${fmt(champion.value)} on the same held-out rows`,
        champion,
      };
    }
  }
  await store.models.setAlias(name, "challenger", version);
  return {
    promoted: true,
    reason:
      `${gate.metric} ${fmt(value)} clears the threshold ${gate.threshold}` +
      (champion
        ? ` and is not worse than champion v${champion.version}'s ${fmt(champion.value)}`
        : " (no champion yet)"),
    champion,
  };
}
