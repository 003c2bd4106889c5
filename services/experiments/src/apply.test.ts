import { openSqliteStore, type Store, StoreConflictError } from "@mlops/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { irisExperiment, registerIrisVersions, seedTraffic } from "../test-support/index.js";
import { analyzeExperiment } from "./analyze.js";
import { applyDecision } from "./apply.js";

let store: Store;
beforeEach(async () => {
  store = openSqliteStore(":memory:");
  await registerIrisVersions(store);
});
afterEach(async () => {
  await store.close();
});

describe("applyDecision", () => {
  it("on promote moves the champion alias, records the decision and concludes", async () => {
    await store.experiments.create(irisExperiment("win"));
    await seedTraffic(store, "win", 3000, 0.06, 1);
    const analysis = await analyzeExperiment(store, "win");
    expect(analysis.result.decision).toBe("promote");
    const applied = await applyDecision(store, analysis, {
      decisionId: "win-1",
      now: 1_700_000_300_000,
    });
    expect(applied.championMove).toEqual({ model: "iris", from: 1, to: 2 });
    expect(await store.models.aliases("iris")).toMatchObject({ champion: 2 });
    const stored = await store.experiments.decisions("win");
    expect(stored.map((d) => d.id)).toEqual(["win-1"]);
    // The record names the arms judged, as the experiment defines them, and the store keeps them.
    expect(stored[0]!.variants).toEqual([
      { name: "champion", model: "iris@1" },
      { name: "challenger", model: "iris@2" },
    ]);
    expect(applied.state).toBe("concluded");
    expect((await store.experiments.get("win"))!.state).toBe("concluded");
  });

  it("records a continue without touching aliases or the experiment's state", async () => {
    await store.experiments.create(irisExperiment("flat"));
    await seedTraffic(store, "flat", 300, 0, 2);
    const analysis = await analyzeExperiment(store, "flat");
    expect(analysis.result.decision).toBe("continue");
    const applied = await applyDecision(store, analysis, { decisionId: "flat-1", now: 1 });
    expect(applied.championMove).toBeNull();
    expect(applied.state).toBe("running");
    expect(await store.models.aliases("iris")).toMatchObject({ champion: 1 });
    expect((await store.experiments.decisions("flat"))[0]!.decision).toBe("continue");
  });

  it("refuses to promote over a champion that moved since the experiment measured it", async () => {
    await store.experiments.create(irisExperiment("race"));
    await seedTraffic(store, "race", 3000, 0.06, 3);
    const analysis = await analyzeExperiment(store, "race");
    // Another pipeline run moved the champion after this analysis read the store.
    await store.models.setAlias("iris", "champion", 2);
    await expect(applyDecision(store, analysis, { decisionId: "race-1", now: 1 })).rejects.toThrow(
      StoreConflictError,
    );
    expect(await store.experiments.decisions("race")).toEqual([]);
    expect((await store.experiments.get("race"))!.state).toBe("running");
  });
});
