/**
 * The Cosmos DB database and containers of the contracts layout, as the store finds them at
 * start. With an account key (the emulator, local runs) the store creates what is missing. With
 * Entra ID (no key) it only checks: Cosmos DB's data-plane roles cannot create databases or
 * containers (Cosmos DB docs, "Use data plane role-based access control", the built-in Data
 * Contributor's actions stop at `readMetadata` for the account), so Pulumi provisions them
 * (`infra/src/cosmos.ts`), and a missing one is a deployment error to name, not to paper over.
 */
import type { Container, CosmosClient, Database } from "@azure/cosmos";
import { COSMOS_LAYOUT, type CosmosContainerName } from "@mlops/contracts";
import { StoreUnavailableError } from "../errors.js";

/** Runs one SDK call under the adapter's retry policy and deadline. */
/** Runs one SDK call under the adapter's retry policy and deadline. */
export type Call = <T>(what: string, op: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** The opened layout. */
export interface CosmosLayout {
  readonly database: Database;
  readonly containers: Record<CosmosContainerName, Container>;
}

const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
};

/**
 * Reads `what` and turns a 404 into an error naming it and who provisions it; other failures go
 * through `call`'s mapping.
 */
async function mustExist(
  store: string,
  call: Call,
  what: string,
  read: (signal: AbortSignal) => Promise<unknown>,
) {
  try {
    await call(`read ${what}`, read);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    if (statusOf(cause) === 404 || statusOf(error) === 404) {
      throw new StoreUnavailableError(
        store,
        `${what} does not exist: with Entra ID the store cannot create it (data-plane roles cannot create databases or containers); provision it with the platform's Pulumi program (infra/src/cosmos.ts)`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Opens the layout in `databaseId`: creates it when `canCreate` (key auth), otherwise checks the
 * database and every container exist, naming the first that does not.
 */
export async function openLayout(
  store: string,
  client: CosmosClient,
  databaseId: string,
  canCreate: boolean,
  call: Call,
): Promise<CosmosLayout> {
  const specs = Object.entries(COSMOS_LAYOUT.containers) as [
    CosmosContainerName,
    (typeof COSMOS_LAYOUT.containers)[CosmosContainerName],
  ][];
  const containers = {} as Record<CosmosContainerName, Container>;
  if (!canCreate) {
    const database = client.database(databaseId);
    await mustExist(store, call, `database ${databaseId}`, (abortSignal) =>
      database.read({ abortSignal }),
    );
    for (const [key, spec] of specs) {
      const container = database.container(spec.id);
      await mustExist(store, call, `container ${databaseId}/${spec.id}`, (abortSignal) =>
        container.read({ abortSignal }),
      );
      containers[key] = container;
    }
    return { database, containers };
  }
  const { database } = await call("create database", (abortSignal) =>
    client.databases.createIfNotExists({ id: databaseId }, { abortSignal }),
  );
  for (const [key, spec] of specs) {
    const ttl = "defaultTtlSeconds" in spec ? { defaultTtl: spec.defaultTtlSeconds } : {};
    const { container } = await call(`create container ${spec.id}`, (abortSignal) =>
      database.containers.createIfNotExists(
        { id: spec.id, partitionKey: { paths: [spec.partitionKeyPath] }, ...ttl },
        { abortSignal },
      ),
    );
    containers[key] = container;
  }
  return { database, containers };
}
