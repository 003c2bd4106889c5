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

  it("reads a concluded experiment as it stood, and records no second decision on it", async () => {
    await store.experiments.create(irisExperiment("done"));
    await seedTraffic(store, "done", 3000, 0.06, 4);
    const before = await analyzeExperiment(store, "done");
    expect(before.concludedBy).toBeNull();
    const decidedAt = 1_700_000_300_000;
    await applyDecision(store, before, { decisionId: "done-1", now: decidedAt });
    // The canary closed: the champion (now the promoted version) serves everything after it.
    await seedTraffic(store, "done", 2000, 0, 5, { start: decidedAt + 1, challengerRatio: 0 });
    const after = await analyzeExperiment(store, "done");
    const recorded = (await store.experiments.decisions("done"))[0]!;
    expect(after.concludedBy).toEqual(recorded);
    expect(after.result.decision).toBe("promote");
    expect(after.metrics).toEqual(before.metrics);
    expect(after.result.srm).toEqual(before.result.srm);
    expect(after.result.reasons.at(-1)).toBe(
      "the experiment was concluded by decision done-1 (promote, 2023-11-14T22:18:20.000Z); it is read as it stood then, and predictions served after it belong to no comparison",
    );
    await expect(
      applyDecision(store, after, { decisionId: "done-2", now: decidedAt + 10 }),
    ).rejects.toThrow(
      "experimentId: experiment done is concluded: decision done-1 (promote) concluded it, and it takes no more; a new challenger is a new experiment",
    );
    expect((await store.experiments.decisions("done")).map((d) => d.id)).toEqual(["done-1"]);
    expect(await store.models.aliases("iris")).toMatchObject({ champion: 2 });
  });
});
