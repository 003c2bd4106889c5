/**
 * What one outcome contributes to its variant's statistics. Both adapters store these terms on
 * the prediction when the two meet (whichever arrives second), so the aggregate is a plain sum
 * over predictions and the numbers are the same on SQLite and Cosmos DB.
 */
import {
  LOG_LOSS_EPSILON,
  type OutcomeValue,
  outcomeClass,
  type PredictionRecord,
} from "@mlops/contracts";

/** The terms of one (prediction, outcome) pair; null for failed predictions (no outcome terms). */
export interface OutcomeTerms {
  /**
   * 1 when the outcome's class equals the predicted class; null when the outcome names none of
   * the prediction's classes (a numeric outcome such as revenue), which is no classification.
   */
  readonly correct: 0 | 1 | null;
  /** The outcome when numeric. */
  readonly value: number | null;
  /**
   * −ln of the clipped predicted probability of the observed class; null without probabilities
   * or when the outcome names no class.
   */
  readonly logLoss: number | null;
}

/** The outcome terms of `prediction` given `outcome`. */
export function outcomeTerms(
  prediction: Pick<PredictionRecord, "status" | "prediction" | "probabilities">,
  outcome: OutcomeValue,
): OutcomeTerms | null {
  if (prediction.status !== "ok") return null;
  const observed = outcomeClass(outcome);
  const probs = prediction.probabilities;
  const value = typeof outcome === "number" ? outcome : null;
  // hasOwn: a label such as "constructor" must not read Object.prototype.
  const known = probs !== null && Object.hasOwn(probs, observed);
  // A number that is none of the classes (7 or 1.5 for classes "0" and "1") is a value, not a
  // sure miss: counting it as one would drag accuracy down and add ~34.5 to the log loss.
  if (value !== null && !known && prediction.prediction !== observed) {
    return { correct: null, value, logLoss: null };
  }
  const p = known ? (probs[observed] as number) : 0;
  return {
    correct: prediction.prediction === observed ? 1 : 0,
    value,
    logLoss:
      probs === null
        ? null
        : -Math.log(Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON)),
  };
}
