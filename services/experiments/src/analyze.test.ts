import { type ExperimentInput, MAX_EPOCH_MS } from "@mlops/contracts";
import { openSqliteStore, type Store } from "@mlops/store";
import { afterEach, describe, expect, it } from "vitest";
import { irisExperiment, seedTraffic } from "../test-support/index.js";
import { analyzeExperiment } from "./analyze.js";
import { toDecisionRecord } from "./decision-record.js";
import { momentsOf } from "./moments.js";

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

  it("rejects an unknown experiment by name", async () => {
    store = openSqliteStore(":memory:");
    await expect(analyzeExperiment(store, "nope")).rejects.toThrow(
      'experimentId: must name an experiment in the store, got "nope"',
    );
  });
});
