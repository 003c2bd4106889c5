/**
 * `openStore(config)`: the adapter the configuration names. Cosmos modules load only when asked
 * for, so CLIs on the embedded store do not pay for the Azure SDKs at start-up.
 */
import type { StoreConfig } from "@mlops/contracts";
import type { CosmosStoreOptions } from "./cosmos/cosmos-store.js";
import { openSqliteStore, type SqliteStoreOptions } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

/** Adapter options, by adapter. */
export interface OpenStoreOptions {
  readonly sqlite?: SqliteStoreOptions;
  readonly cosmos?: CosmosStoreOptions;
}

/** Open the store `config` names (creating files, databases and containers on first use). */
export async function openStore(
  config: StoreConfig,
  options: OpenStoreOptions = {},
): Promise<Store> {
  if (config.kind === "sqlite") return openSqliteStore(config.path, options.sqlite);
  const { openCosmosStore } = await import("./cosmos/cosmos-store.js");
  return openCosmosStore(config, options.cosmos);
}
