/**
 * Vitest global set-up for the serving project: one temporary platform shared by every test
 * file, a SQLite store in which the demo models are registered as `pnpm start` registers them
 * (the forest champion, boosted-trees challenger and GARCH fit training wrote, committed as
 * `@mlops/models`' fixtures, so serving is tested on trained models without depending on the
 * trainer). Files open their own
 * connection to it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseServingConfig } from "@mlops/contracts";
import { versionInput } from "@mlops/models";
import { readDemoFixture } from "@mlops/models/test-support";
import { openStore, registerVersion, type Store } from "@mlops/store";
import type { TestProject } from "vitest/node";

/** Registers the demo versions in order, each with its alias, pointing at the committed files. */
async function registerDemoModels(store: Store): Promise<void> {
  for (const { manifest, ref, alias } of await readDemoFixture()) {
    const registered = await registerVersion(store.models, versionInput(manifest, ref));
    if (registered.version !== manifest.version) {
      throw new Error(
        `${manifest.name}: registered as v${registered.version}, not v${manifest.version}`,
      );
    }
    await store.models.setAlias(manifest.name, alias, registered.version);
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), "mlops-serving-"));
  const env = {
    MLOPS_STORE: `sqlite:${join(dir, "platform.db")}`,
    MLOPS_GARCH_MODEL: "dem2gbp@champion",
    MLOPS_CHALLENGER_WEIGHT: "50",
    MLOPS_LOG_FLUSH_MS: "10",
    LOG_LEVEL: "silent",
  };
  const store = await openStore(parseServingConfig(env).store);
  try {
    await registerDemoModels(store);
  } finally {
    await store.close();
  }
  project.provide("servingFixture", { dir, env });
  return () => rm(dir, { recursive: true, force: true });
}
