/**
 * Generated prediction logs and outcomes for the contract suite, the tests and the benchmark,
 * and the in-memory aggregate every adapter must reproduce from them.
 */
import {
  type AssignmentConfig,
  type AssignmentGroup,
  emptyAggregate,
  emptyUnits,
  type OutcomeRecord,
  type PredictionRecord,
  type VariantAggregate,
  type VariantUnits,
} from "@mlops/contracts";
import { Random } from "@mlops/garch";
import { outcomeTerms } from "../src/terms.js";

/**
 * The configurations generated records were assigned by, in blocks of 50 consecutive records:
 * every mechanism, several weights of one, and a configuration that comes back after others.
 */
export const GENERATED_ASSIGNMENTS: readonly AssignmentConfig[] = [
  { assignment: "unknown", challenger_weight: null },
  { assignment: "user-hash", challenger_weight: 50 },
  { assignment: "gateway-weight", challenger_weight: 10 },
  { assignment: "nginx-canary-weight", challenger_weight: 25 },
  { assignment: "nginx-canary-weight", challenger_weight: 30 },
  { assignment: "nginx-canary-weight", challenger_weight: 100 },
];

/** Generated prediction logs and outcomes for one experiment (labels, numbers, errors, misses). */
export function generatePredictionLogs(options: {
  readonly seed: number;
  readonly count: number;
  readonly experimentId?: string;
  readonly start?: number;
  readonly prefix?: string;
  /** Index of the first record (request ids and timestamps continue from it). */
  readonly first?: number;
}): { predictions: PredictionRecord[]; outcomes: OutcomeRecord[] } {
  const rng = new Random(options.seed);
  const rand = () => rng.nextFloat();
  const start = options.start ?? 1_700_000_000_000;
  const prefix = options.prefix ?? `s${options.seed}`;
  const predictions: PredictionRecord[] = [];
  const outcomes: OutcomeRecord[] = [];
  const classes = ["0", "1", "2"];
  const first = options.first ?? 0;
  for (let i = first; i < first + options.count; i++) {
    const variant = rand() < 0.5 ? "champion" : "challenger";
    const failed = rand() < 0.05;
    const weights = classes.map(() => rand() + 0.01);
    const total = weights.reduce((s, w) => s + w, 0);
    const probabilities = Object.fromEntries(
      classes.map((c, k) => [c, (weights[k] as number) / total]),
    );
    const best = classes.reduce((b, c) =>
      (probabilities[c] as number) > (probabilities[b] as number) ? c : b,
    );
    const request_id = `${prefix}-${i.toString().padStart(6, "0")}`;
    const timestamp = start + Math.floor(i * 1000 + rand() * 500);
    predictions.push({
      request_id,
      experiment_id: options.experimentId ?? "exp-1",
      variant,
      model_name: "iris",
      model_version: variant === "champion" ? 1 : 2,
      user_id: rand() < 0.2 ? null : `user-${Math.floor(rand() * 50)}`,
      prediction: failed ? null : best,
      probabilities: failed ? null : probabilities,
      latency_ms: Math.round(rand() * 20_000) / 1000,
      status: failed ? "error" : "ok",
      timestamp,
      ...(GENERATED_ASSIGNMENTS[
        Math.floor(i / 50) % GENERATED_ASSIGNMENTS.length
      ] as AssignmentConfig),
    });
    const r = rand();
    if (r < 0.4) {
      outcomes.push({
        request_id,
        outcome: classes[Math.floor(rand() * 3)] as string,
        timestamp: timestamp + 5000,
      });
    } else if (r < 0.55) {
      outcomes.push({ request_id, outcome: Math.floor(rand() * 3), timestamp: timestamp + 5000 });
    } else if (r < 0.65) {
      outcomes.push({
        request_id,
        outcome: Math.round(rand() * 10_000) / 100,
        timestamp: timestamp + 5000,
      });
    }
  }
  return { predictions, outcomes };
}

/**
 * Another record under the same request id, on the same arm: slower, and (when it succeeded)
 * predicting another class with other probabilities, so outcome terms computed from it differ.
 */
export function altered(record: PredictionRecord): PredictionRecord {
  const latency_ms = record.latency_ms + 1;
  if (record.status === "error") return { ...record, latency_ms };
  const prediction = record.prediction === "2" ? "0" : "2";
  const probabilities = { "0": 0.05, "1": 0.05, "2": 0.05, [prediction]: 0.85 };
  return { ...record, latency_ms, prediction, probabilities };
}

/** What a reference's numeric sums are taken about (`CenteredSums`); plain sums: all 0. */
export interface ReferenceShifts {
  readonly latency: number;
  readonly outcome: number;
  readonly log_loss: number;
}
const PLAIN: ReferenceShifts = { latency: 0, outcome: 0, log_loss: 0 };

/**
 * The aggregate computed in memory: what every adapter must return. With `shifts`, its numeric
 * sums are about them: what an adapter's `centered` sums about the same shifts must be.
 */
export function referenceAggregate(
  predictions: readonly PredictionRecord[],
  outcomes: readonly OutcomeRecord[],
  experimentId: string,
  variant: string,
  window?: { from: number; to: number },
  shifts: ReferenceShifts = PLAIN,
): VariantAggregate {
  const byId = new Map(outcomes.map((o) => [o.request_id, o.outcome]));
  const agg = emptyAggregate(variant);
  for (const p of inWindow(predictions, experimentId, variant, window)) {
    agg.count++;
    if (p.status === "error") agg.error_count++;
    const latency = p.latency_ms - shifts.latency;
    agg.latency_sum += latency;
    agg.latency_sum_sq += latency * latency;
    const outcome = byId.get(p.request_id);
    const terms = outcome === undefined ? null : outcomeTerms(p, outcome);
    if (terms === null) continue;
    if (terms.correct !== null) {
      agg.outcome_count++;
      agg.correct_count += terms.correct;
    }
    if (terms.value !== null) {
      const value = terms.value - shifts.outcome;
      agg.outcome_value_count++;
      agg.outcome_sum += value;
      agg.outcome_sum_sq += value * value;
    }
    if (terms.logLoss !== null) {
      const logLoss = terms.logLoss - shifts.log_loss;
      agg.log_loss_count++;
      agg.log_loss_sum += logLoss;
      agg.log_loss_sum_sq += logLoss * logLoss;
    }
  }
  return agg;
}

/** Each numeric metric's values among a variant's records in the window. */
export function referenceValues(
  predictions: readonly PredictionRecord[],
  outcomes: readonly OutcomeRecord[],
  experimentId: string,
  variant: string,
  window?: { from: number; to: number },
): Record<keyof ReferenceShifts, number[]> {
  const byId = new Map(outcomes.map((o) => [o.request_id, o.outcome]));
  const values: Record<keyof ReferenceShifts, number[]> = {
    latency: [],
    outcome: [],
    log_loss: [],
  };
  for (const p of inWindow(predictions, experimentId, variant, window)) {
    values.latency.push(p.latency_ms);
    const outcome = byId.get(p.request_id);
    const terms = outcome === undefined ? null : outcomeTerms(p, outcome);
    if (terms?.value != null) values.outcome.push(terms.value);
    if (terms?.logLoss != null) values.log_loss.push(terms.logLoss);
  }
  return values;
}

/** A variant's records of the experiment within the window. */
function inWindow(
  predictions: readonly PredictionRecord[],
  experimentId: string,
  variant: string,
  window: { from: number; to: number } | undefined,
): PredictionRecord[] {
  return predictions.filter(
    (p) =>
      p.experiment_id === experimentId &&
      p.variant === variant &&
      (window === undefined || (p.timestamp >= window.from && p.timestamp < window.to)),
  );
}

/**
 * A variant's units and per-unit terms computed in memory: what every adapter must return. With
 * `shifts`, the numeric metrics' unit sums are about them (`CenteredUnitSums`).
 */
export function referenceUnits(
  predictions: readonly PredictionRecord[],
  outcomes: readonly OutcomeRecord[],
  experimentId: string,
  variant: string,
  window?: { from: number; to: number },
  shifts: ReferenceShifts = PLAIN,
): VariantUnits {
  const byId = new Map(outcomes.map((o) => [o.request_id, o.outcome]));
  const agg = emptyUnits(variant);
  // Per unit (a user, or a prediction without one): count and sum of accuracy, value, log loss.
  const units = new Map<string, number[]>();
  for (const p of inWindow(predictions, experimentId, variant, window)) {
    const unit = p.user_id === null ? `request ${p.request_id}` : `user ${p.user_id}`;
    const sums = units.get(unit) ?? [0, 0, 0, 0, 0, 0];
    units.set(unit, sums);
    const outcome = byId.get(p.request_id);
    const terms = outcome === undefined ? null : outcomeTerms(p, outcome);
    if (terms === null) continue;
    if (terms.correct !== null) {
      sums[0]! += 1;
      sums[1]! += terms.correct;
    }
    if (terms.value !== null) {
      sums[2]! += 1;
      sums[3]! += terms.value - shifts.outcome;
    }
    if (terms.logLoss !== null) {
      sums[4]! += 1;
      sums[5]! += terms.logLoss - shifts.log_loss;
    }
  }
  agg.unit_count = units.size;
  agg.user_count = [...units.keys()].filter((u) => u.startsWith("user ")).length;
  for (const [a_n, a_s, v_n, v_s, l_n, l_s] of units.values() as Iterable<number[]>) {
    for (const [metric, n, s] of [
      ["accuracy", a_n, a_s],
      ["outcome", v_n, v_s],
      ["log_loss", l_n, l_s],
    ] as const) {
      if (n! > 0) agg[`${metric}_units`]++;
      agg[`${metric}_unit_n_sq`] += n! * n!;
      agg[`${metric}_unit_sum_n`] += s! * n!;
      agg[`${metric}_unit_sum_sq`] += s! * s!;
    }
  }
  return agg;
}

/** The configurations of an experiment's records in a window, counted in memory. */
export function referenceAssignments(
  predictions: readonly PredictionRecord[],
  experimentId: string,
  variants: readonly string[],
  window?: { from: number; to: number },
): AssignmentGroup[] {
  const inScope = predictions.filter(
    (p) =>
      p.experiment_id === experimentId &&
      variants.includes(p.variant) &&
      (window === undefined || (p.timestamp >= window.from && p.timestamp < window.to)),
  );
  const keys = [...new Set(inScope.map((p) => `${p.assignment}@${p.challenger_weight}`))];
  return keys
    .map((key) => {
      const records = inScope.filter((p) => `${p.assignment}@${p.challenger_weight}` === key);
      const times = records.map((p) => p.timestamp);
      return {
        assignment: records[0]!.assignment,
        challenger_weight: records[0]!.challenger_weight,
        predictions: Object.fromEntries(
          variants.map((v) => [v, records.filter((p) => p.variant === v).length]),
        ),
        units: Object.fromEntries(
          variants.map((v) => {
            const own = records.filter((p) => p.variant === v);
            const users = new Set(own.flatMap((p) => (p.user_id === null ? [] : [p.user_id])));
            return [v, users.size + own.filter((p) => p.user_id === null).length];
          }),
        ),
        first_timestamp: Math.min(...times),
        last_timestamp: Math.max(...times),
      };
    })
    .sort((a, b) => a.first_timestamp - b.first_timestamp);
}

/** Users with records on more than one of `variants`, counted in memory. */
export function referenceUsersInSeveralArms(
  predictions: readonly PredictionRecord[],
  experimentId: string,
  variants: readonly string[],
  window?: { from: number; to: number },
): number {
  const arms = new Map<string, Set<string>>();
  for (const p of predictions) {
    if (p.experiment_id !== experimentId || !variants.includes(p.variant) || p.user_id === null) {
      continue;
    }
    if (window !== undefined && (p.timestamp < window.from || p.timestamp >= window.to)) continue;
    arms.set(p.user_id, (arms.get(p.user_id) ?? new Set()).add(p.variant));
  }
  return [...arms.values()].filter((a) => a.size > 1).length;
}
