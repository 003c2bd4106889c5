/**
 * The keyless store end to end, as a pod runs it: `MLOPS_STORE=cosmos` with no `COSMOS_KEY`,
 * parsed like the environment, opened through `openStore` and the real @azure/cosmos SDK, signing
 * every request with an Entra ID token, against the Cosmos DB protocol emulator over HTTPS (the
 * SDK sends tokens over https only). The database and containers are provisioned beforehand with
 * a key, as Pulumi provisions them (infra/src/cosmos.ts); the keyless store only checks they
 * exist, because Cosmos DB's data-plane roles cannot create them.
 */
import { CosmosClient, type CosmosClientOptions } from "@azure/cosmos";
import { COSMOS_LAYOUT, parseStoreConfig } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpsEmulator, startHttpsEmulator } from "../../test-support/cosmos-emulator.js";
import { StoreUnavailableError } from "../errors.js";
import { openStore } from "../open-store.js";

const TOKEN = "entra-id-token-of-the-workload";

/** An Entra ID credential as the SDK sees one: it hands out a token and keeps the scopes asked. */
class WorkloadCredential implements NonNullable<CosmosClientOptions["aadCredentials"]> {
  readonly scopes: string[] = [];
  async getToken(scopes: string | string[]) {
    this.scopes.push(...[scopes].flat());
    return { token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

let emulator: HttpsEmulator;
/** The provisioning side (Pulumi's role here), with a key. */
let admin: CosmosClient;
beforeAll(async () => {
  emulator = await startHttpsEmulator();
  admin = new CosmosClient({ endpoint: emulator.endpoint, key: "k", agent: emulator.agent });
});
afterAll(async () => {
  admin?.dispose();
  await emulator?.close();
});

const specs = Object.values(COSMOS_LAYOUT.containers);

async function provision(database: string, containers: typeof specs): Promise<void> {
  const { database: db } = await admin.databases.createIfNotExists({ id: database });
  for (const spec of containers) {
    await db.containers.createIfNotExists({
      id: spec.id,
      partitionKey: { paths: [spec.partitionKeyPath] },
    });
  }
}

const containersOf = async (database: string) =>
  (await admin.database(database).containers.readAll().fetchAll()).resources.map((c) => c.id);

/** The store's config as a pod's environment gives it: Cosmos, no key. */
const keylessConfig = (database: string) =>
  parseStoreConfig({
    MLOPS_STORE: "cosmos",
    COSMOS_ENDPOINT: emulator.endpoint,
    COSMOS_DATABASE: database,
  });

describe("the keyless (Entra ID) Cosmos store, end to end", () => {
  it("starts on what was provisioned, writes and reads with a token, and creates nothing", async () => {
    await provision("provisioned", specs);
    const config = keylessConfig("provisioned");
    expect(config).toMatchObject({ kind: "cosmos", key: null });
    const credential = new WorkloadCredential();
    const from = emulator.requests.length;

    const store = await openStore(config, {
      cosmos: { credential, agent: emulator.agent, timeoutMs: 5_000 },
    });
    await store.runs.create({
      run_id: "keyless-run",
      experiment_name: "keyless",
      start_time: 1_700_000_000_000,
      params: { trees: "10" },
    });
    await store.runs.logMetrics("keyless-run", [
      { key: "accuracy", value: 0.9, step: 0, timestamp: 1_700_000_000_001 },
    ]);
    const run = await store.runs.get("keyless-run");
    await store.ping();
    await store.close();

    expect(run).toMatchObject({
      run_id: "keyless-run",
      params: { trees: "10" },
      metrics: { accuracy: [{ value: 0.9, step: 0 }] },
    });
    const seen = emulator.requests.slice(from);
    expect(seen.length).toBeGreaterThan(0);
    // Every request signed with the workload's token, none with a key.
    for (const r of seen) {
      expect(decodeURIComponent(r.authorization), `${r.method} ${r.path}`).toBe(
        `type=aad&ver=1.0&sig=${TOKEN}`,
      );
    }
    expect(credential.scopes.length).toBeGreaterThan(0);
    // Nothing created: no POST of a database or a container, the layout as provisioned.
    const creations = seen.filter(
      (r) => r.method === "POST" && /^\/dbs(\/[^/]+\/colls)?\/?$/.test(r.path),
    );
    expect(creations).toEqual([]);
    expect((await containersOf("provisioned")).sort()).toEqual(specs.map((s) => s.id).sort());
  });

  it("refuses to start when a container is missing, naming it, and does not create it", async () => {
    const missing = specs.at(-1)!;
    await provision("partial", specs.slice(0, -1));
    const opening = openStore(keylessConfig("partial"), {
      cosmos: { credential: new WorkloadCredential(), agent: emulator.agent, timeoutMs: 5_000 },
    });
    await expect(opening).rejects.toThrow(StoreUnavailableError);
    await expect(opening).rejects.toThrow(
      new RegExp(
        `container partial/${missing.id} does not exist: with Entra ID the store cannot create it`,
      ),
    );
    expect(await containersOf("partial")).not.toContain(missing.id);
  });

  it("refuses to start when the database is missing, naming it", async () => {
    await expect(
      openStore(keylessConfig("never-provisioned"), {
        cosmos: { credential: new WorkloadCredential(), agent: emulator.agent, timeoutMs: 5_000 },
      }),
    ).rejects.toThrow(/database never-provisioned does not exist/);
    const databases = (await admin.databases.readAll().fetchAll()).resources.map((d) => d.id);
    expect(databases).not.toContain("never-provisioned");
  });
});
