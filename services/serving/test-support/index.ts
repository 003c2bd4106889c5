/**
 * Shared helpers for the serving tests: the platform the global set-up registered (a real
 * SQLite store with the demo models), and a `build()` that creates the app on it and closes it
 * when the test ends.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type EnvRecord, parseServingConfig } from "@mlops/contracts";
import { versionInput } from "@mlops/models";
import { readDemoFixture } from "@mlops/models/test-support";
import { openSqliteStore, openStore, registerVersion, type Store } from "@mlops/store";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, inject, onTestFinished } from "vitest";
import { type AppDeps, createApp } from "../src/app.js";
import { loadServedModels } from "../src/models/served.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where `global-setup.ts` registered the demo models, and the env that points there. */
    servingFixture: { dir: string; env: Record<string, string> };
  }
}

/** The shared platform with this file's own store connection. */
export interface Fixture {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly store: Store;
  dispose(): Promise<void>;
}

/** Opens a connection to the platform the global set-up prepared. */
export async function openFixture(): Promise<Fixture> {
  const { dir, env } = inject("servingFixture");
  const store = await openStore(parseServingConfig(env).store);
  return { dir, env, store, dispose: () => store.close() };
}

/**
 * The fixture of this test file: opened before its tests, disposed of after them. Its fields
 * are read when a test runs, so it can be declared at the top of the file.
 */
export function useFixture(): Fixture {
  let opened: Fixture | undefined;
  beforeAll(async () => {
    opened = await openFixture();
  });
  afterAll(() => opened?.dispose());
  const current = (): Fixture => {
    if (opened === undefined) throw new Error("the serving fixture opens before the file's tests");
    return opened;
  };
  return {
    get dir() {
      return current().dir;
    },
    get env() {
      return current().env;
    },
    get store() {
      return current().store;
    },
    dispose: () => current().dispose(),
  };
}

/** An event-loop delay no test machine reaches: the load shedder stays out of tests not about it. */
const UNSHED_EVENT_LOOP_DELAY_MS = 60_000;

/**
 * Builds the app on `fixture` (its models loaded from `options.store` when given) with `env`
 * overrides; it is closed when the current test ends.
 */
export async function build(
  fixture: Fixture,
  env: EnvRecord = {},
  options: Partial<AppDeps> = {},
): Promise<FastifyInstance> {
  const config = parseServingConfig({ ...fixture.env, ...env });
  const store = options.store ?? fixture.store;
  const served = await loadServedModels(config, store);
  const app = await createApp({
    config,
    store,
    served,
    logger: false,
    // The load shedder answers 503 when the event loop lags a second, as a starved test machine's
    // may: tests of shedding set their own limit (app.test.ts), the others never meet it.
    maxEventLoopDelayMs: UNSHED_EVENT_LOOP_DELAY_MS,
    ...options,
  });
  onTestFinished(() => app.close());
  await app.ready();
  return app;
}

/**
 * The `build` overrides that make the app the GARCH service: garch mode, with the fixture's
 * challenger weight blanked (unset), as the service refuses the A/B test settings.
 */
export const GARCH_MODE = { MLOPS_MODE: "garch", MLOPS_CHALLENGER_WEIGHT: "" } as const;

/** A row of the demo classifier's five features. */
export const ROW = [0.5, -1.2, 0.3, 1.1, -0.4];

/** `app.inject` options that POST `body` as JSON. */
export function json(body: unknown) {
  return {
    method: "POST" as const,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify(body),
  };
}

/** A pino destination that keeps each JSON line. */
export function capture(): { stream: Writable; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) records.push(JSON.parse(line));
      done();
    },
  });
  return { stream, records };
}

/**
 * A SQLite store of its own with the demo models and their aliases, for a test that moves an
 * alias (the shared fixture's store is read by other files at the same time); removed when the
 * test ends.
 */
export async function demoStore(): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), "mlops-serving-demo-"));
  const store = openSqliteStore(join(dir, "platform.db"));
  onTestFinished(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (const { manifest, ref, alias } of await readDemoFixture()) {
    const registered = await registerVersion(store.models, versionInput(manifest, ref));
    await store.models.setAlias(manifest.name, alias, registered.version);
  }
  return store;
}
