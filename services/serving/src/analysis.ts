/**
 * The current A/B analysis shown by `GET /ab-test/stats`, computed with `@mlops/experiments`
 * from the per-variant sufficient statistics the store aggregates (so it covers every replica):
 * sample-ratio mismatch against the configured split (on users and requests without one where
 * the arm is a hash of the user, as the decision counts them; else on predictions), the accuracy
 * test between the arms, and
 * the latest decision the pipeline recorded. Null until both arms have traffic.
 */
import type { Decision, JsonValue, VariantAggregate, VariantUnits } from "@mlops/contracts";
import { ExperimentsInputError, srmTest, twoProportionZTest } from "@mlops/experiments";

/** JSON-safe copy: non-finite numbers (undefined statistics) become null. */
function json(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value, (_, v) => (Number.isNaN(v) ? null : v)));
}

/**
 * A statistic, or why it is undefined for the data so far (e.g. every outcome correct in both
 * arms leaves the z statistic undefined): the page shows that instead of failing.
 */
function statistic(compute: () => unknown): JsonValue {
  try {
    return json(compute());
  } catch (error) {
    if (error instanceof ExperimentsInputError) return { undefined_because: error.message };
    throw error;
  }
}

export function currentAnalysis(
  champion: VariantAggregate,
  challenger: VariantAggregate,
  challengerWeight: number,
  latestDecision: Decision | null,
  /** Each arm's units when the current period splits users (readCurrentPeriod), else null. */
  units: readonly VariantUnits[] | null = null,
): Record<string, JsonValue> | null {
  if (champion.count === 0 || challenger.count === 0) return null;
  const analysis: Record<string, JsonValue> = {
    latest_decision: latestDecision ? json(latestDecision) : null,
  };
  // SRM needs a positive expected share on every arm.
  if (challengerWeight > 0 && challengerWeight < 100) {
    const unitsOf = (arm: VariantAggregate) =>
      units?.find((u) => u.variant === arm.variant)?.unit_count ?? 0;
    const counts =
      units === null
        ? [champion.count, challenger.count]
        : [unitsOf(champion), unitsOf(challenger)];
    const srm = statistic(() => srmTest(counts, [100 - challengerWeight, challengerWeight]));
    analysis.srm =
      srm !== null && typeof srm === "object" && !Array.isArray(srm)
        ? { ...srm, counted: units === null ? "predictions" : "units" }
        : srm;
  }
  if (champion.outcome_count > 0 && challenger.outcome_count > 0) {
    const a = { successes: champion.correct_count, trials: champion.outcome_count };
    const b = { successes: challenger.correct_count, trials: challenger.outcome_count };
    analysis.accuracy = {
      champion: a.successes / a.trials,
      challenger: b.successes / b.trials,
      test: statistic(() => twoProportionZTest(a, b)),
    };
  }
  return analysis;
}
