/**
 * The layout at start, against the Cosmos DB protocol emulator: with Entra ID (the store opens it
 * with `canCreate` false when its config has no key) nothing is created and a missing database or
 * container is named; with a key the store creates the layout, as the emulator tests rely on.
 * The emulator is plain http here, where the SDK refuses bearer tokens, so the client signs with
 * a key and the Entra ID branch is chosen explicitly; keyless.test.ts runs the keyless store end
 * to end with tokens, over https.
 */
import { CosmosClient } from "@azure/cosmos";
import { COSMOS_LAYOUT } from "@mlops/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../test-support/cosmos-emulator.js";
import { StoreUnavailableError } from "../errors.js";
import { openLayout } from "./layout.js";

let emulator: Emulator;
let client: CosmosClient;
beforeAll(async () => {
  emulator = await startEmulator();
  client = new CosmosClient({
    endpoint: emulator.endpoint,
    key: "k",
    connectionPolicy: { enableEndpointDiscovery: false },
  });
});
afterAll(async () => {
  client?.dispose();
  await emulator?.close();
});

/** The adapter's call wrapper, reduced to running the operation (no retry, no deadline). */
const call = <T>(_what: string, op: (signal: AbortSignal) => Promise<T>) =>
  op(new AbortController().signal);
const databases = async () =>
  (await client.databases.readAll().fetchAll()).resources.map((d) => d.id);

describe("the Cosmos layout at start", () => {
  it("with Entra ID, refuses a missing database, naming it, and creates nothing", async () => {
    const opening = openLayout("cosmos test", client, "absent", false, call);
    await expect(opening).rejects.toThrow(StoreUnavailableError);
    await expect(openLayout("cosmos test", client, "absent", false, call)).rejects.toThrow(
      /cosmos test: database absent does not exist: with Entra ID the store cannot create it .*infra\/src\/cosmos\.ts/,
    );
    expect(await databases()).not.toContain("absent");
  });

  it("with Entra ID, names the first missing container of the layout", async () => {
    const { database } = await client.databases.createIfNotExists({ id: "partial" });
    const [first, second] = Object.values(COSMOS_LAYOUT.containers);
    await database.containers.createIfNotExists({
      id: first!.id,
      partitionKey: { paths: [first!.partitionKeyPath] },
    });
    await expect(openLayout("cosmos test", client, "partial", false, call)).rejects.toThrow(
      new RegExp(`container partial/${second!.id} does not exist`),
    );
  });

  it("with Entra ID, opens what Pulumi provisioned; with a key, creates the layout itself", async () => {
    const { database } = await client.databases.createIfNotExists({ id: "provisioned" });
    for (const spec of Object.values(COSMOS_LAYOUT.containers)) {
      await database.containers.createIfNotExists({
        id: spec.id,
        partitionKey: { paths: [spec.partitionKeyPath] },
      });
    }
    const opened = await openLayout("cosmos test", client, "provisioned", false, call);
    expect(Object.keys(opened.containers).sort()).toEqual(
      Object.keys(COSMOS_LAYOUT.containers).sort(),
    );
    await openLayout("cosmos test", client, "created", true, call);
    expect(await databases()).toContain("created");
  });
});
