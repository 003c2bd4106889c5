/** An experiment's prediction logs and outcomes with a known effect, written to a store for tests. */
import type { AssignmentConfig, OutcomeRecord, PredictionRecordInput } from "@mlops/contracts";
import { Random } from "@mlops/garch/random";
import type { Store } from "@mlops/store";
import { irisPrediction } from "./iris.js";

/** Where a seeded period starts and what assigned it. */
export interface SeedPeriod {
  /** First prediction time. Default 1_700_000_000_000. */
  readonly start?: number;
  /** Default: recorded without one (unknown). */
  readonly assignment?: AssignmentConfig;
  /** Challenger predictions per champion prediction (1: alternate). Default 1. */
  readonly challengerRatio?: number;
  /** Requests cycle through this many user ids. Default: no user ids. */
  readonly users?: number;
}

/**
 * Synthetic traffic for `perArm` users per arm: the champion right with probability 0.8, the
 * challenger with 0.8 + effect; the predicted class's probability is 0.7 when right. With
 * `period.challengerRatio` r < 1, `perArm` champion predictions come with about r × `perArm`
 * challenger ones.
 */
export async function seedTraffic(
  store: Store,
  id: string,
  perArm: number,
  effect: number,
  seed: number,
  period: SeedPeriod = {},
): Promise<{ variant: string; logLoss: number }[]> {
  const start = period.start ?? 1_700_000_000_000;
  const ratio = period.challengerRatio ?? 1;
  const rng = new Random(seed);
  const predictions: PredictionRecordInput[] = [];
  const outcomes: OutcomeRecord[] = [];
  const total = Math.round(perArm * (1 + ratio));
  for (let i = 0; i < total; i++) {
    // Challengers where the running share crosses the next multiple of ratio / (1 + ratio).
    const share = ratio / (1 + ratio);
    const variant = Math.floor((i + 1) * share) > Math.floor(i * share) ? "challenger" : "champion";
    const right = rng.nextFloat() < 0.8 + (variant === "challenger" ? effect : 0);
    const request_id = `${id}-${start}-${i}`;
    predictions.push(
      irisPrediction({
        request_id,
        experiment_id: id,
        variant,
        user_id: period.users === undefined ? null : `user-${i % period.users}`,
        latency_ms: 10 + 10 * rng.nextFloat(),
        timestamp: start + i,
        ...(period.assignment ?? {}),
      }),
    );
    outcomes.push({ request_id, outcome: right ? "a" : "b", timestamp: start + 100_000 + i });
  }
  await store.predictions.insertMany(predictions);
  await store.outcomes.insertMany(outcomes);
  return predictions.map((p, i) => ({
    variant: p.variant,
    logLoss: -Math.log(outcomes[i]!.outcome === "a" ? 0.7 : 0.3),
  }));
}
