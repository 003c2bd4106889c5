import { openSqliteStore, type Store } from "@mlops/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerModels, SERVING as serving } from "../test-support/fixtures.js";
import { ensureStackExperiment, experimentFor } from "./experiment.js";

let store: Store;
beforeEach(async () => {
  store = openSqliteStore(":memory:");
  // The stack's classifier@12 and @13.
  await registerModels(store, "classifier", 13);
});
afterEach(() => store.close());

describe("the stack's experiment", () => {
  it("has the stack's id and models, the canary weight as the challenger's share", () => {
    expect(experimentFor(serving)).toMatchObject({
      id: "classifier-12-vs-13",
      variants: [
        { name: "champion", weight: 90, model: "classifier@12" },
        { name: "challenger", weight: 10, model: "classifier@13" },
      ],
      primary_metric: "accuracy",
      state: "running",
    });
  });

  it("is defined once; the same arms again (even with the canary closed) are a no-op", async () => {
    expect((await ensureStackExperiment(store, serving)).created).toBe(true);
    const stored = await store.experiments.get("classifier-12-vs-13");
    expect(stored?.variants.map((v) => v.weight)).toEqual([90, 10]);
    expect(stored?.guardrails.map((g) => g.metric)).toEqual(["error_rate", "latency_mean_ms"]);
    expect((await ensureStackExperiment(store, { ...serving, canaryWeight: 0 })).created).toBe(
      false,
    );
  });

  it("refuses an arm whose model the pods could not serve, defining nothing", async () => {
    const refused = async (over: Partial<typeof serving>, message: RegExp) => {
      await expect(ensureStackExperiment(store, { ...serving, ...over })).rejects.toThrow(message);
      expect(await store.experiments.get(serving.experimentId)).toBeNull();
    };
    await refused(
      { challengerModel: "classifier@14" },
      /^serving\.challengerModel classifier@14: .*no model version matches classifier@14$/,
    );
    await refused(
      { championModel: "classifier@champion" },
      /^serving\.championModel classifier@champion: .*no model version matches classifier@champion$/,
    );
    await registerModels(store, "vol", 1, "garch");
    await refused(
      { challengerModel: "vol@1" },
      /^serving\.challengerModel vol@1 \(v1\) is a garch model, not classifier$/,
    );
    // A registration that never finished (its process died).
    const pending = await store.models.register({
      ...(await store.models.resolve("classifier@13")),
    });
    await refused(
      { challengerModel: `classifier@${pending.version}` },
      /^serving\.challengerModel classifier@14 \(v14\) is PENDING_REGISTRATION: only a READY version is served \(its files may be missing\)$/,
    );
  });

  it("refuses other models under an existing id", async () => {
    await ensureStackExperiment(store, serving);
    await expect(
      ensureStackExperiment(store, { ...serving, challengerModel: "classifier@14" }),
    ).rejects.toThrow(/already exists with .*challenger=classifier@13, not .*classifier@14/);
  });
});
