/**
 * `@mlops/store`: typed repositories for models, runs, experiments, prediction logs and outcomes,
 * over embedded SQLite (default) or Azure Cosmos DB, behind one `Store` interface.
 */
export type { CosmosStoreOptions, RetryPolicy } from "./cosmos/cosmos-store.js";
export {
  StoreConflictError,
  StoreError,
  StoreNotFoundError,
  StoreUnavailableError,
} from "./errors.js";
export { type OpenStoreOptions, openStore } from "./open-store.js";
export { kindClash, registerVersion, unservable } from "./registration.js";
export { openSqliteStore, type SqliteStoreOptions } from "./sqlite/sqlite-store.js";
export type * from "./store.js";
export { type OutcomeTerms, outcomeTerms } from "./terms.js";
