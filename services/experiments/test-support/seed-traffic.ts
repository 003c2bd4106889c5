/** An experiment's prediction logs and outcomes with a known effect, written to a store for tests. */
import type { OutcomeRecord, PredictionRecord } from "@mlops/contracts";
import { Random } from "@mlops/garch/random";
import type { Store } from "@mlops/store";
import { irisPrediction } from "./iris.js";

/**
 * Synthetic traffic for `perArm` users per arm: the champion right with probability 0.8, the
 * challenger with 0.8 + effect; the predicted class's probability is 0.7 when right.
 */
export async function seedTraffic(
  store: Store,
  id: string,
  perArm: number,
  effect: number,
  seed: number,
): Promise<{ variant: string; logLoss: number }[]> {
  const rng = new Random(seed);
  const predictions: PredictionRecord[] = [];
  const outcomes: OutcomeRecord[] = [];
  for (let i = 0; i < 2 * perArm; i++) {
    const variant = i % 2 === 0 ? "champion" : "challenger";
    const right = rng.nextFloat() < 0.8 + (variant === "challenger" ? effect : 0);
    const request_id = `${id}-${i}`;
    predictions.push(
      irisPrediction({
        request_id,
        experiment_id: id,
        variant,
        latency_ms: 10 + 10 * rng.nextFloat(),
        timestamp: 1_700_000_000_000 + i,
      }),
    );
    outcomes.push({ request_id, outcome: right ? "a" : "b", timestamp: 1_700_000_100_000 + i });
  }
  await store.predictions.insertMany(predictions);
  await store.outcomes.insertMany(outcomes);
  return predictions.map((p, i) => ({
    variant: p.variant,
    logLoss: -Math.log(outcomes[i]!.outcome === "a" ? 0.7 : 0.3),
  }));
}
