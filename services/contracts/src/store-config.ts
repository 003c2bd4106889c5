/**
 * Which store a process uses, from `MLOPS_STORE`: `sqlite:<path>` (the embedded default, a file
 * under `.mlops/`) or `cosmos` (Azure Cosmos DB at `COSMOS_ENDPOINT`, database `COSMOS_DATABASE`,
 * authenticated with `COSMOS_KEY` when set — the emulator — else with Entra ID).
 */
import { z } from "zod";
import { COSMOS_LAYOUT } from "./cosmos-layout.js";
import { type EnvRecord, textVar } from "./env.js";
import { parseOrThrow } from "./errors.js";

/** Env var names of the store settings. */
export const STORE_ENV = {
  store: "MLOPS_STORE",
  cosmosEndpoint: "COSMOS_ENDPOINT",
  cosmosDatabase: "COSMOS_DATABASE",
  cosmosKey: "COSMOS_KEY",
} as const;

/** The default embedded store, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = ".mlops/platform.db";

/** The typed store choice `openStore` takes. */
export type StoreConfig =
  | { readonly kind: "sqlite"; readonly path: string }
  | {
      readonly kind: "cosmos";
      readonly endpoint: string;
      readonly database: string;
      /** Account key (the emulator); null → Entra ID (`DefaultAzureCredential`). */
      readonly key: string | null;
    };

const StoreUrlSchema = z.string().regex(/^(sqlite:.+|cosmos)$/, {
  error: "must be 'sqlite:<path>' (e.g. sqlite:.mlops/platform.db) or 'cosmos'",
});

const EndpointSchema = z
  .url({
    protocol: /^https?$/,
    error: "must be an http(s) URL, e.g. https://ACCOUNT.documents.azure.com:443/",
  })
  .max(2048);

const DatabaseSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/, {
  error: "must be 1-255 characters of letters, digits, '_' or '-'",
});

const KeySchema = z.string().max(1024);

/** The store variables as a zod shape keyed by env var name (so issues name the VARIABLE). */
export const storeEnvShape = {
  [STORE_ENV.store]: textVar(StoreUrlSchema, `sqlite:${DEFAULT_SQLITE_PATH}`),
  [STORE_ENV.cosmosEndpoint]: textVar(EndpointSchema, null),
  [STORE_ENV.cosmosDatabase]: textVar(DatabaseSchema, COSMOS_LAYOUT.defaultDatabase),
  [STORE_ENV.cosmosKey]: textVar(KeySchema, null),
};

type StoreEnv = z.output<z.ZodObject<typeof storeEnvShape>>;

/** Build the typed config from parsed variables; reports a missing endpoint on its variable. */
export function storeConfigFromEnv(env: StoreEnv, ctx: z.RefinementCtx): StoreConfig {
  const url = env[STORE_ENV.store] as string;
  if (url.startsWith("sqlite:")) return { kind: "sqlite", path: url.slice("sqlite:".length) };
  const endpoint = env[STORE_ENV.cosmosEndpoint];
  if (endpoint === null) {
    ctx.addIssue({
      code: "custom",
      path: [STORE_ENV.cosmosEndpoint],
      message: "is required when MLOPS_STORE is 'cosmos'",
    });
    return z.NEVER;
  }
  return {
    kind: "cosmos",
    endpoint,
    database: env[STORE_ENV.cosmosDatabase] as string,
    key: env[STORE_ENV.cosmosKey],
  };
}

/** The store variables alone (CLIs and jobs that only need the store). */
export const StoreEnvSchema = z
  .object(storeEnvShape)
  .transform((env, ctx) => storeConfigFromEnv(env, ctx));

/** Parse the store settings from `env`; throws `ContractValidationError` naming the variable. */
export function parseStoreConfig(env: EnvRecord): StoreConfig {
  return parseOrThrow(StoreEnvSchema, env, "store config");
}

/** The env vars that make `parseStoreConfig` return `config`. */
export function renderStoreEnv(config: StoreConfig): Record<string, string> {
  if (config.kind === "sqlite") return { [STORE_ENV.store]: `sqlite:${config.path}` };
  return {
    [STORE_ENV.store]: "cosmos",
    [STORE_ENV.cosmosEndpoint]: config.endpoint,
    [STORE_ENV.cosmosDatabase]: config.database,
    ...(config.key === null ? {} : { [STORE_ENV.cosmosKey]: config.key }),
  };
}
