/**
 * Loading the configured models against a store of its own: the demo's forest and boosted trees,
 * and copies of the forest that take other features or predict other classes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FeatureSchema, type ModelManifest, parseServingConfig } from "@mlops/contracts";
import { artifactRef, versionInput, writeArtifact } from "@mlops/models";
import { readDemoFixture } from "@mlops/models/test-support";
import { openSqliteStore, registerVersion, type Store } from "@mlops/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServedModels } from "./served.js";

let dir: string;
let store: Store;

/** Registers the forest again as the next version of `classifier`, with `schema` changed. */
async function registerForestCopy(
  change: (schema: Extract<FeatureSchema, { kind: "classifier" }>) => FeatureSchema,
): Promise<number> {
  const [forest] = await readDemoFixture();
  const version = (await store.models.list("classifier")).length + 1;
  const schema = forest!.manifest.feature_schema as Extract<FeatureSchema, { kind: "classifier" }>;
  const manifest: ModelManifest = { ...forest!.manifest, version, feature_schema: change(schema) };
  const artifact = join(dir, `copy-${version}`);
  await writeArtifact(artifact, { manifest, model: forest!.model });
  await registerVersion(store.models, versionInput(manifest, artifactRef(artifact, forest!.model)));
  return version;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-served-"));
  store = openSqliteStore(join(dir, "platform.db"));
  for (const { manifest, ref } of await readDemoFixture()) {
    await registerVersion(store.models, versionInput(manifest, ref));
  }
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const config = (env: Record<string, string>) =>
  parseServingConfig({ MLOPS_STORE: `sqlite:${join(dir, "platform.db")}`, ...env });

describe("loadServedModels", () => {
  it("serves two algorithms side by side when they take the same features and classes", async () => {
    const served = await loadServedModels(
      config({ MLOPS_CHAMPION_MODEL: "classifier@1", MLOPS_CHALLENGER_MODEL: "classifier@2" }),
      store,
    );
    expect([
      served.classifier("champion").algorithm,
      served.classifier("challenger").algorithm,
    ]).toEqual(["forest", "gbdt"]);
  });

  it("refuses a split whose arms take other features or predict other classes", async () => {
    const renamed = await registerForestCopy((s) => ({
      ...s,
      features: s.features.map((f, i) => (i === 4 ? { ...f, name: "g4" } : f)),
    }));
    const relabelled = await registerForestCopy((s) => ({ ...s, classes: ["no", "yes"] }));
    const split = (challenger: number) =>
      loadServedModels(
        config({
          MLOPS_CHAMPION_MODEL: "classifier@1",
          MLOPS_CHALLENGER_MODEL: `classifier@${challenger}`,
        }),
        store,
      );
    await expect(split(renamed)).rejects.toThrow(
      `champion classifier@1 and challenger classifier@${renamed} cannot be served as one A/B test: both must take the same features in the same order (the champion takes f0, f1, f2, f3, f4; the challenger f0, f1, f2, f3, g4)`,
    );
    await expect(split(relabelled)).rejects.toThrow(
      "both must predict the same classes (the champion predicts 0, 1; the challenger no, yes)",
    );
    // One arm per process: the other arm's Deployment is not this process's to judge.
    const single = await loadServedModels(
      config({
        MLOPS_MODE: "single",
        MLOPS_VARIANT: "challenger",
        MLOPS_CHALLENGER_MODEL: `classifier@${renamed}`,
      }),
      store,
    );
    expect(single.classifier("challenger").featureNames.at(-1)).toBe("g4");
  });

  it("serves the same classes in another order side by side", async () => {
    const reordered = await registerForestCopy((s) => ({
      ...s,
      classes: [...s.classes].reverse(),
    }));
    const served = await loadServedModels(
      config({
        MLOPS_CHAMPION_MODEL: "classifier@1",
        MLOPS_CHALLENGER_MODEL: `classifier@${reordered}`,
      }),
      store,
    );
    expect(served.classifier("challenger").classes).toEqual(["1", "0"]);
  });
});
