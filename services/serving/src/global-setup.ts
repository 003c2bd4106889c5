/**
 * Vitest global set-up for the serving project: one temporary platform (a SQLite store with the
 * demo models registered by the real bootstrap) shared by every test file, so the forests are
 * trained once per run rather than once per file. Files open their own connection to it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseServingConfig } from "@mlops/contracts";
import { openStore } from "@mlops/store";
import type { TestProject } from "vitest/node";
import { bootstrap, DEMO_MODELS } from "./bootstrap.js";

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), "mlops-serving-"));
  const env = {
    MLOPS_STORE: `sqlite:${join(dir, "platform.db")}`,
    MLOPS_ARTIFACT_DIR: join(dir, "artifacts"),
    MLOPS_GARCH_MODEL: `${DEMO_MODELS.garch}@champion`,
    MLOPS_CHALLENGER_WEIGHT: "50",
    MLOPS_LOG_FLUSH_MS: "10",
    LOG_LEVEL: "silent",
  };
  const config = parseServingConfig(env);
  const store = await openStore(config.store);
  try {
    await bootstrap({
      store,
      artifactDir: config.artifactDir,
      experimentId: config.experimentId,
      challengerWeight: config.challengerWeight,
      threads: 2,
      progress: () => {},
    });
  } finally {
    await store.close();
  }
  project.provide("servingFixture", { dir, env });
  return () => rm(dir, { recursive: true, force: true });
}
