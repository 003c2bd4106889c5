import {
  type ExperimentInput,
  MAX_EPOCH_MS,
  type OutcomeRecord,
  type PredictionRecordInput,
} from "@mlops/contracts";
import { Random } from "@mlops/garch/random";
import { openSqliteStore, type Store } from "@mlops/store";
import { afterEach, describe, expect, it } from "vitest";
import { irisExperiment, irisPrediction, seedTraffic } from "../test-support/index.js";
import { analyzeExperiment } from "./analyze.js";
import { toDecisionRecord } from "./decision-record.js";
import { LOST_VARIANCE, momentsOf } from "./moments.js";
import { srmTest } from "./srm.js";
import { welchTTestFromSummary } from "./two-sample.js";

/** A seed whose A/A users split evenly while their predictions do not (checked in the test). */
const AA_SEED = 1;

let store: Store;
afterEach(async () => {
  await store.close();
});

const definition = (id: string, over: Partial<ExperimentInput> = {}): ExperimentInput =>
  irisExperiment(id, { guardrails: [{ metric: "error_rate", max_relative_increase: 1 }], ...over });

describe("analyzeExperiment on the embedded SQLite store", () => {
  it("promotes a challenger with a real effect and continues without one", async () => {
    store = openSqliteStore(":memory:");
    await store.experiments.create(definition("effect"));
    await store.experiments.create(definition("null"));
    await seedTraffic(store, "effect", 3000, 0.06, 1);
    await seedTraffic(store, "null", 3000, 0, 2);
    const effect = await analyzeExperiment(store, "effect");
    expect(effect.result.decision).toBe("promote");
    expect(effect.metrics.map((m) => m.accuracy.n)).toEqual([3000, 3000]);
    const none = await analyzeExperiment(store, "null");
    expect(none.result.decision).toBe("continue");
  });

  it("streams log loss from joined pairs and carries the running p-value from stored decisions", async () => {
    store = openSqliteStore(":memory:");
    await store.experiments.create(definition("ll", { primary_metric: "log_loss" }));
    const expected = await seedTraffic(store, "ll", 400, 0, 3);
    const first = await analyzeExperiment(store, "ll");
    for (const m of first.metrics) {
      const direct = momentsOf(
        expected.filter((e) => e.variant === m.variant).map((e) => e.logLoss),
      );
      expect(m.logLoss!.n).toBe(direct.n);
      expect(m.logLoss!.mean).toBeCloseTo(direct.mean, 12);
      expect(m.logLoss!.m2).toBeCloseTo(direct.m2, 8);
    }
    expect(first.previousPValue).toBe(1);
    await store.experiments.appendDecision(
      toDecisionRecord(first.result, {
        id: "ll-1",
        experiment: first.experiment,
        decidedAt: 1_700_000_200_000,
      }),
    );
    const second = await analyzeExperiment(store, "ll");
    expect(second.previousPValue).toBe(first.result.primary!.sequential.pValue);
  });

  it("reports mixed configurations and judges only the current period, at its own weight", async () => {
    store = openSqliteStore(":memory:");
    // Defined at 50/50; then served by the API's split at 50 %, then by the gateway at 20 %.
    await store.experiments.create(definition("mixed"));
    const T0 = 1_700_000_000_000;
    await seedTraffic(store, "mixed", 2000, 0, 4, {
      start: T0,
      assignment: { assignment: "user-hash", challenger_weight: 50 },
    });
    await seedTraffic(store, "mixed", 2000, 0.06, 5, {
      start: T0 + 10_000,
      assignment: { assignment: "gateway-weight", challenger_weight: 20 },
      challengerRatio: 0.25,
      users: 41,
    });
    const analysis = await analyzeExperiment(store, "mixed");
    const { assignment } = analysis;
    expect(assignment.mixed).toBe(true);
    expect(
      assignment.configurations.map((c) => [c.assignment, c.challenger_weight, c.total]),
    ).toEqual([
      ["user-hash", 50, 4000],
      ["gateway-weight", 20, 2500],
    ]);
    expect(assignment.current).toEqual({
      assignment: "gateway-weight",
      challenger_weight: 20,
      unit: "request",
      from: T0 + 10_000,
      users_in_several_arms: 41,
    });
    // Only the gateway period is read, and its split is judged against 80/20, not the definition.
    expect(analysis.window).toEqual({ from: T0 + 10_000, to: MAX_EPOCH_MS });
    expect(analysis.metrics.map((m) => m.latency.n)).toEqual([2000, 500]);
    expect(analysis.experiment.variants.map((v) => v.weight)).toEqual([80, 20]);
    expect(analysis.result.srm?.mismatch).toBe(false);
    expect(analysis.result.period).toEqual({ key: "gateway-weight@20", from: T0 + 10_000 });
    const reasons = analysis.result.reasons.join("\n");
    expect(reasons).toMatch(/mixes 2 configurations/);
    expect(reasons).toMatch(/verdict reads only the current period, gateway-weight@20/);
    expect(reasons).toMatch(/41 users were seen on more than one arm/);
    expect(reasons).toMatch(/the unit is the request/);
  });

  it("does not carry the running p-value into a new period", async () => {
    store = openSqliteStore(":memory:");
    await store.experiments.create(definition("periods"));
    const T0 = 1_700_000_000_000;
    const hash = { assignment: "user-hash" as const, challenger_weight: 50 };
    await seedTraffic(store, "periods", 400, 0.05, 6, { start: T0, assignment: hash });
    const first = await analyzeExperiment(store, "periods");
    expect(first.result.primary).not.toBeNull();
    await store.experiments.appendDecision(
      toDecisionRecord(first.result, {
        id: "p-1",
        experiment: first.experiment,
        decidedAt: T0 + 5000,
      }),
    );
    expect((await analyzeExperiment(store, "periods")).previousPValue).toBe(
      first.result.primary!.sequential.pValue,
    );
    // The weight moves: a new period, a new sequence of looks.
    await seedTraffic(store, "periods", 400, 0.05, 7, {
      start: T0 + 10_000,
      assignment: { ...hash, challenger_weight: 30 },
    });
    expect((await analyzeExperiment(store, "periods")).previousPValue).toBe(1);
  });

  it("checks a user-hash split on users: users who come back do not make an A/A invalid", async () => {
    store = openSqliteStore(":memory:");
    await store.experiments.create(definition("aa"));
    // 50/50 by user; each user makes a geometric number of requests (mean 20), and some requests
    // carry no user id (each its own unit). The same model on both arms: an A/A.
    const rng = new Random(AA_SEED);
    const hash = { assignment: "user-hash" as const, challenger_weight: 50 };
    const predictions: PredictionRecordInput[] = [];
    const arm = () => (rng.nextFloat() < 0.5 ? "champion" : "challenger");
    const T0 = 1_700_000_000_000;
    const outcomes: OutcomeRecord[] = [];
    // Users differ in how often the model is right for them: their outcomes are correlated.
    const add = (variant: string, user_id: string | null, right: number) => {
      const i = predictions.length;
      predictions.push(
        irisPrediction({
          request_id: `aa-${i}`,
          experiment_id: "aa",
          variant,
          timestamp: T0 + i,
          user_id,
          ...hash,
        }),
      );
      const outcome = rng.nextFloat() < right ? "a" : "b";
      outcomes.push({ request_id: `aa-${i}`, outcome, timestamp: T0 + 1_000_000 + i });
    };
    for (let u = 0; u < 300; u++) {
      const variant = arm();
      const right = rng.nextFloat() < 0.5 ? 0.6 : 0.9;
      const requests = 1 + Math.floor(Math.log(1 - rng.nextFloat()) / Math.log(1 - 1 / 20));
      for (let j = 0; j < requests; j++) add(variant, `user-${u}`, right);
    }
    for (let j = 0; j < 200; j++) add(arm(), null, 0.75);
    await store.predictions.insertMany(predictions);
    await store.outcomes.insertMany(outcomes);
    const analysis = await analyzeExperiment(store, "aa");
    const [champion, challenger] = analysis.metrics.map((m) => m.latency.n) as [number, number];
    // What the check used to count: far more uneven than a fair split of predictions allows.
    expect(srmTest([champion, challenger], [50, 50]).pValue).toBeLessThan(0.001);
    const srm = analysis.result.srm!;
    expect(srm.unit).toBe("user");
    expect(srm.counts.reduce((a, b) => a + b, 0)).toBe(300 + 200);
    expect(srm.mismatch).toBe(false);
    expect(analysis.result.decision).not.toBe("invalid");
    // The primary test counts users, with a variance that allows for their correlation.
    const primary = analysis.result.primary!;
    expect(primary.independent).toBe("user");
    expect(primary.welch.df).toBeLessThan(500);
    const naive = welchTTestFromSummary(primary.control, primary.treatment);
    expect(primary.welch.se).toBeGreaterThan(1.5 * naive.se);
  });

  /** Numeric outcomes per arm under a user-hash split (40 users an arm, 10 requests each). */
  async function seedValues(id: string, value: (variant: string, rng: Random) => number) {
    await store.experiments.create(definition(id, { primary_metric: "outcome_mean" }));
    const rng = new Random(7);
    const predictions: PredictionRecordInput[] = [];
    const outcomes: OutcomeRecord[] = [];
    const values: Record<string, number[]> = { champion: [], challenger: [] };
    for (let i = 0; i < 800; i++) {
      const user = i % 80;
      const variant = user % 2 === 0 ? "champion" : "challenger";
      const request_id = `${id}-${i}`;
      predictions.push(
        irisPrediction({
          request_id,
          experiment_id: id,
          variant,
          user_id: `user-${user}`,
          timestamp: 1_700_000_000_000 + i,
          assignment: "user-hash",
          challenger_weight: 50,
        }),
      );
      const outcome = value(variant, rng);
      values[variant]!.push(outcome);
      outcomes.push({ request_id, outcome, timestamp: 1_700_000_100_000 + i });
    }
    await store.predictions.insertMany(predictions);
    await store.outcomes.insertMany(outcomes);
    return values;
  }

  it("keeps a variance the plain sums lose: outcomes near 1e8 with sd 1", async () => {
    store = openSqliteStore(":memory:");
    const values = await seedValues("big", (_, rng) => 1e8 + rng.standardNormal());
    const analysis = await analyzeExperiment(store, "big");
    for (const m of analysis.metrics) {
      const direct = momentsOf(values[m.variant]!);
      expect(m.outcome.n).toBe(direct.n);
      expect(Math.abs(m.outcome.mean - direct.mean)).toBeLessThan(1e-6);
      // Plain sums leave nothing of this spread (moments.test.ts): NaN, and an invalid decision.
      expect(Math.abs(m.outcome.m2 - direct.m2) / direct.m2).toBeLessThan(1e-6);
    }
    expect(analysis.result.decision).not.toBe("invalid");
    const primary = analysis.result.primary!;
    expect(primary.independent).toBe("user");
    expect(primary.control.variance).toBeGreaterThan(0);
    expect(primary.treatment.variance).toBeGreaterThan(0);
  });

  it("reads one fraction repeated as no variance, not an unknown one", async () => {
    store = openSqliteStore(":memory:");
    await seedValues("flat", () => 0.1);
    const analysis = await analyzeExperiment(store, "flat");
    for (const m of analysis.metrics) expect(m.outcome).toEqual({ n: 400, mean: 0.1, m2: 0 });
    expect(analysis.result.reasons.join(" ")).not.toContain(LOST_VARIANCE);
    expect(analysis.result.decision).toBe("continue");
    expect(analysis.result.reasons[0]).toContain("has not varied in either arm");
  });

  it("rejects an unknown experiment by name", async () => {
    store = openSqliteStore(":memory:");
    await expect(analyzeExperiment(store, "nope")).rejects.toThrow(
      'experimentId: must name an experiment in the store, got "nope"',
    );
  });
});
