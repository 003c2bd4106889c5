import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CosmosClient, type ItemDefinition } from "@azure/cosmos";
import { COSMOS_LAYOUT, PREDICTION_TTL_SECONDS } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../test-support/cosmos-emulator.js";
import { expectLegacyReadsAsUnknown } from "../../test-support/legacy-records.js";
import { generatePredictionLogs } from "../../test-support/prediction-logs.js";
import { expectSameAggregate } from "../../test-support/same-aggregate.js";
import { describeStoreContract } from "../../test-support/store-contract.js";
import { StoreUnavailableError } from "../errors.js";
import { openStore } from "../open-store.js";
import { registerVersion } from "../registration.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

let seq = 0;
const openFresh = (database = `db${++seq}`) =>
  openStore(
    { kind: "cosmos", endpoint: emulator.endpoint, database, key: "emulator-key" },
    { cosmos: { retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 500 } } },
  );

/** A client of the emulator itself, to see or write documents past the adapter. */
const emulatorClient = () =>
  new CosmosClient({
    endpoint: emulator.endpoint,
    key: "k",
    connectionPolicy: { enableEndpointDiscovery: false },
  });

/** Writes `doc` into a container past the adapter, as an older version of it left documents. */
async function writeDirectly(database: string, container: string, doc: ItemDefinition) {
  const client = emulatorClient();
  try {
    await client.database(database).container(container).items.create(doc);
  } finally {
    client.dispose();
  }
}

describeStoreContract(
  "cosmos (emulator)",
  async () => {
    const store = await openFresh();
    return { store, dispose: () => store.close() };
  },
  { concurrency: 8, trafficSize: 300 },
);

describe("cosmos adapter", () => {
  it("creates the containers of the contracts layout, with the prediction TTL", async () => {
    const store = await openFresh("layout");
    await store.close();
    const client = emulatorClient();
    const db = client.database("layout");
    for (const spec of Object.values(COSMOS_LAYOUT.containers)) {
      const { resource } = await db.container(spec.id).read();
      expect(resource?.partitionKey?.paths).toEqual([spec.partitionKeyPath]);
      const ttl = "defaultTtlSeconds" in spec ? spec.defaultTtlSeconds : undefined;
      expect(resource?.defaultTtl).toBe(ttl);
    }
    expect(COSMOS_LAYOUT.containers.predictions.defaultTtlSeconds).toBe(PREDICTION_TTL_SECONDS);
    client.dispose();
  });

  it("gives the same numbers as SQLite for the same traffic", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mlops-cross-"));
    const sqlite = await openStore({ kind: "sqlite", path: join(dir, "cross.db") });
    const cosmos = await openFresh("cross");
    const { predictions, outcomes } = generatePredictionLogs({
      seed: 99,
      count: 200,
      experimentId: "cross",
    });
    for (const store of [sqlite, cosmos]) {
      await store.outcomes.insertMany(outcomes.slice(0, 30));
      await store.predictions.insertMany(predictions);
      await store.outcomes.insertMany(outcomes);
    }
    const window = {
      from: (predictions[20] as { timestamp: number }).timestamp,
      to: (predictions[180] as { timestamp: number }).timestamp,
    };
    for (const query of [
      { experiment_id: "cross", variants: ["champion", "challenger"] },
      { experiment_id: "cross", variants: ["challenger", "champion"], window },
    ]) {
      const [a, b] = await Promise.all([
        sqlite.predictions.aggregate(query),
        cosmos.predictions.aggregate(query),
      ]);
      expect(a.map((x) => x.variant)).toEqual(b.map((x) => x.variant));
      for (const [i, agg] of a.entries()) expectSameAggregate(b[i] as typeof agg, agg);
      const [ua, ub] = await Promise.all([
        sqlite.predictions.units(query),
        cosmos.predictions.units(query),
      ]);
      expect(ua.map((x) => x.variant)).toEqual(query.variants);
      for (const [i, units] of ua.entries()) expectSameAggregate(ub[i] as typeof units, units);
    }
    const pairs = async (store: typeof sqlite) => {
      const out = [];
      for await (const p of store.predictions.joined({
        experiment_id: "cross",
        variant: "champion",
      }))
        out.push(p);
      return out;
    };
    expect(await pairs(cosmos)).toEqual(await pairs(sqlite));
    await Promise.all([sqlite.close(), cosmos.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads a version written before registrations had a status as READY", async () => {
    const store = await openFresh("legacy-version");
    // The document as the adapter wrote it before: no status.
    await writeDirectly("legacy-version", COSMOS_LAYOUT.containers.models.id, {
      id: "version-1",
      type: "version",
      name: "old",
      version: 1,
      kind: "garch",
      run_id: null,
      data_hash: null,
      git_sha: null,
      params: {},
      metrics: {},
      artifact: { uri: "file:g.json", sha256: "e".repeat(64) },
      description: "",
      created_at: 1_700_000_000_000,
    });
    expect(await store.models.resolve("old")).toMatchObject({ version: 1, status: "READY" });
    expect(await store.models.summaries()).toEqual([
      { name: "old", kind: "garch", latest_version: 1, ready_version: 1, aliases: {} },
    ]);
    await store.models.setAlias("old", "champion", 1);
    expect((await store.models.list("old")).map((v) => v.aliases)).toEqual([["champion"]]);
    await store.close();
  });

  it("reads a document written before assignments were recorded as unknown", async () => {
    const store = await openFresh("legacy");
    // The document as the adapter wrote it before: no assignment, no challenger weight.
    await writeDirectly("legacy", COSMOS_LAYOUT.containers.predictions.id, {
      id: "old-1",
      request_id: "old-1",
      experiment_id: "legacy",
      variant: "champion",
      model_name: "iris",
      model_version: 1,
      user_id: "u-1",
      prediction: "a",
      probabilities: { a: 0.6, b: 0.4 },
      latency_ms: 3,
      status: "ok",
      timestamp: 1_700_000_000_000,
      is_error: 0,
      ...{ t_has: 0, t_correct: 0, t_vhas: 0, t_value: 0, t_value_sq: 0, t_lhas: 0, t_ll: 0 },
    });
    await expectLegacyReadsAsUnknown(store, {
      requestId: "old-1",
      experimentId: "legacy",
      timestamp: 1_700_000_000_000,
    });
    await store.close();
  });

  it("opens an existing database without recreating it", async () => {
    const a = await openFresh("reopen");
    await registerVersion(a.models, {
      name: "kept",
      kind: "garch",
      run_id: null,
      data_hash: null,
      git_sha: null,
      params: {},
      metrics: {},
      artifact: { uri: "file:g.json", sha256: "e".repeat(64) },
    });
    await a.close();
    const b = await openFresh("reopen");
    expect((await b.models.resolve("kept")).version).toBe(1);
    await b.close();
  });

  it("retries 429 answers after the server's retry-after hint", async () => {
    const store = await openFresh("throttled");
    const { predictions } = generatePredictionLogs({ seed: 7, count: 5, experimentId: "thr" });
    await store.predictions.insertMany(predictions);
    const before = emulator.throttled();
    const id = (predictions[0] as { request_id: string }).request_id;
    emulator.throttle(
      (req) => req.method === "GET" && (req.url ?? "").includes(`/docs/${id}`),
      2,
      40,
    );
    const started = Date.now();
    expect(await store.predictions.get(id)).toEqual(predictions[0]);
    expect(emulator.throttled() - before).toBe(2);
    // Two hinted waits of 40 ms happened (a lower bound, never an upper one).
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    await store.close();
  });

  it("names the endpoint when throttling outlasts the retry policy", async () => {
    const store = await openFresh("exhausted");
    emulator.throttle((req) => req.method === "GET" && (req.url ?? "").includes("/docs/"), 100, 5);
    const error = await store.predictions.get("any").catch((e: unknown) => e);
    emulator.throttle(() => false, 0, 0);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`cosmos ${emulator.endpoint}`);
    expect((error as Error).message).toMatch(/429 after 5 attempts/);
    await store.close();
  });

  it("names the endpoint when nothing listens there", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const error = await openStore(
      { kind: "cosmos", endpoint, database: "x", key: "k" },
      { cosmos: { timeoutMs: 3000, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 } } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`cosmos ${endpoint}`);
  });

  it("names the endpoint when the server accepts but never answers", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const error = await openStore(
      { kind: "cosmos", endpoint, database: "x", key: "k" },
      { cosmos: { timeoutMs: 500, retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10 } } },
    ).catch((e: unknown) => e);
    for (const s of sockets) s.destroy();
    silent.close();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`cosmos ${endpoint}`);
  });
});
