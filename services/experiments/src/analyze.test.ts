import type { ExperimentInput } from "@mlops/contracts";
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
        experimentId: "ll",
        decidedAt: 1_700_000_200_000,
      }),
    );
    const second = await analyzeExperiment(store, "ll");
    expect(second.previousPValue).toBe(first.result.primary!.sequential.pValue);
  });

  it("rejects an unknown experiment by name", async () => {
    store = openSqliteStore(":memory:");
    await expect(analyzeExperiment(store, "nope")).rejects.toThrow(
      "experimentId: must name an experiment in the store, got nope",
    );
  });
});
