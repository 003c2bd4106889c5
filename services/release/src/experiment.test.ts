import { openSqliteStore, type Store } from "@mlops/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerModels, SERVING as serving } from "../test-support/fixtures.js";
import { ensureStackExperiment, experimentFor, LISTED_VERSIONS } from "./experiment.js";

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
      /^serving\.challengerModel classifier@14: .*no model version matches classifier@14; /,
    );
    await refused(
      { championModel: "classifier@champion" },
      /^serving\.championModel classifier@champion: .*no model version matches classifier@champion; /,
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

  it("names the key to set and what the registry holds when a model is missing", async () => {
    const message = async (over: Partial<typeof serving>) => {
      const error = await ensureStackExperiment(store, { ...serving, ...over }).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      return (error as Error).message;
    };
    await store.models.setAlias("classifier", "champion", 12);
    await store.models.setAlias("classifier", "challenger", 13);
    const missing = await message({ challengerModel: "classifier@20" });
    expect(missing).toContain(
      `; the registry's READY versions of classifier: classifier@13 (challenger), classifier@12 (champion), classifier@11, classifier@10, classifier@9 and ${13 - LISTED_VERSIONS} older. `,
    );
    expect(missing).toMatch(
      /\. Set serving\.challengerModel in the stack config to a READY version \(pulumi config set --path serving\.challengerModel <name>@<version>\); on a new estate the pipeline's first run sets it/,
    );
    // Another model name: the models there are instead.
    await registerModels(store, "dem2gbp", 1, "garch");
    expect(await message({ championModel: "fraud@1" })).toMatch(
      /^serving\.championModel fraud@1: .*; the registry has no model fraud, only classifier \(classifier\), dem2gbp \(garch\)\. Set serving\.championModel /,
    );
    // A fresh estate: nothing registered yet.
    const empty = openSqliteStore(":memory:");
    try {
      await expect(ensureStackExperiment(empty, serving)).rejects.toThrow(
        /^serving\.championModel classifier@12: .*; the registry holds no models yet\. Set serving\.championModel /,
      );
    } finally {
      empty.close();
    }
  });

  it("refuses other models under an existing id", async () => {
    await ensureStackExperiment(store, serving);
    await expect(
      ensureStackExperiment(store, { ...serving, challengerModel: "classifier@14" }),
    ).rejects.toThrow(/already exists with .*challenger=classifier@13, not .*classifier@14/);
  });
});
