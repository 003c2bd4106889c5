/**
 * Shared set-up for the serving tests and the benchmark: a temporary directory holding a real
 * SQLite store with the demo models registered by the real bootstrap, and a `build()` that
 * creates the app on it and closes it when the test ends.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EnvRecord, parseServingConfig } from "@mlops/contracts";
import { openStore, type Store } from "@mlops/store";
import type { FastifyInstance } from "fastify";
import { onTestFinished } from "vitest";
import { type AppDeps, createApp } from "./app.js";
import { bootstrap, DEMO_MODELS } from "./bootstrap.js";
import { loadServedModels } from "./models/served.js";

/** A temporary platform: its directory, its env, and the store the demo models live in. */
export interface Fixture {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly store: Store;
  dispose(): Promise<void>;
}

/** Creates a temporary directory with a SQLite store and the demo models registered. */
export async function createFixture(): Promise<Fixture> {
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
  await bootstrap({
    store,
    artifactDir: config.artifactDir,
    experimentId: config.experimentId,
    challengerWeight: config.challengerWeight,
    threads: 1,
    progress: () => {},
  });
  return {
    dir,
    env,
    store,
    async dispose() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Builds the app on `fixture` with `env` overrides; it is closed when the current test ends. */
export async function build(
  fixture: Fixture,
  env: EnvRecord = {},
  options: Partial<AppDeps> = {},
): Promise<FastifyInstance> {
  const config = parseServingConfig({ ...fixture.env, ...env });
  const served = await loadServedModels(config, fixture.store);
  const app = await createApp({ config, store: fixture.store, served, logger: false, ...options });
  onTestFinished(() => app.close());
  await app.ready();
  return app;
}
