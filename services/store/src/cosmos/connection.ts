/**
 * The Cosmos adapter's connection: the client, the database and the containers of
 * `COSMOS_LAYOUT` (created if missing), and `call`, which runs every SDK request under the
 * retry policy and a deadline and turns what still fails into a store error.
 */
import {
  type Container,
  CosmosClient,
  type CosmosClientOptions,
  type Database,
} from "@azure/cosmos";
import type { CosmosContainerName, StoreConfig } from "@mlops/contracts";
import { StoreError, StoreUnavailableError } from "../errors.js";
import { type Call, openLayout } from "./layout.js";
import {
  DEFAULT_RETRY_POLICY,
  isTransient,
  type RetryPolicy,
  statusOf,
  withRetry,
} from "./retry.js";

/** Options of the Cosmos adapter. */
export interface CosmosStoreOptions {
  /** Credential when the config has no key; default `DefaultAzureCredential` (production only). */
  readonly credential?: NonNullable<CosmosClientOptions["aadCredentials"]>;
  /**
   * The HTTP(S) agent requests go through, e.g. one that trusts a private certificate authority;
   * default: the SDK's own.
   */
  readonly agent?: CosmosClientOptions["agent"];
  /** Deadline of each request, retries included (default 15 s). */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** Operations in flight at once for per-item work (default 16). */
  readonly concurrency?: number;
  readonly now?: () => number;
}

export type CosmosConfig = Extract<StoreConfig, { kind: "cosmos" }>;

export type { Call } from "./layout.js";

/** An open account: what every repository of the adapter works through. */
export interface CosmosConnection {
  /** The store's name in errors: `cosmos <endpoint>`. */
  readonly name: string;
  readonly client: CosmosClient;
  readonly database: Database;
  readonly containers: Readonly<Record<CosmosContainerName, Container>>;
  readonly call: Call;
  /** Operations in flight at once for per-item work. */
  readonly concurrency: number;
  readonly now: () => number;
}

/** Connect, and create the database and containers if missing. */
export async function connectCosmos(
  config: CosmosConfig,
  options: CosmosStoreOptions = {},
): Promise<CosmosConnection> {
  const name = `cosmos ${config.endpoint}`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;

  const auth =
    config.key !== null
      ? { key: config.key }
      : {
          aadCredentials:
            options.credential ?? new (await import("@azure/identity")).DefaultAzureCredential(),
        };
  const client = new CosmosClient({
    endpoint: config.endpoint,
    ...auth,
    ...(options.agent && { agent: options.agent }),
    connectionPolicy: {
      // Plain http is only ever the local emulator, whose account metadata advertises https
      // endpoints that do not exist; discovery must stay on for real multi-region accounts.
      enableEndpointDiscovery: !config.endpoint.startsWith("http:"),
      requestTimeout: timeoutMs,
      // Throttling is retried by `call` below, with our policy and deadline, not twice.
      retryOptions: {
        maxRetryAttemptCount: 0,
        fixedRetryIntervalInMilliseconds: 0,
        maxWaitTimeInSeconds: 0,
      },
    },
  });

  const call: Call = async (what, op) => {
    const signal = AbortSignal.timeout(timeoutMs);
    let attempts = 0;
    try {
      return await withRetry(
        () => {
          attempts++;
          return op(signal);
        },
        policy,
        { signal },
      );
    } catch (error) {
      throw storeFailure(error, { store: name, what, attempts, timeoutMs });
    }
  };

  const { database, containers } = await openLayout(
    name,
    client,
    config.database,
    config.key !== null,
    call,
  );
  return {
    name,
    client,
    database,
    containers,
    call,
    concurrency: options.concurrency ?? 16,
    now: options.now ?? Date.now,
  };
}

/**
 * What a request that still failed after its retries becomes: `StoreUnavailableError` when the
 * account refused us, stayed throttled, or did not answer; any other answer (404, 409, 412, …)
 * is passed on for the repository to interpret.
 */
function storeFailure(
  error: unknown,
  at: { store: string; what: string; attempts: number; timeoutMs: number },
): unknown {
  if (error instanceof StoreError) return error;
  const status = statusOf(error);
  if (status === 401 || status === 403) {
    return new StoreUnavailableError(at.store, `${at.what}: not authorised (${status})`, {
      cause: error,
    });
  }
  if (status !== undefined && isTransient(error)) {
    return new StoreUnavailableError(
      at.store,
      `${at.what}: still ${status} after ${at.attempts} attempts`,
      { cause: error },
    );
  }
  if (status === undefined) {
    const errorName = (error as { name?: string }).name;
    const why =
      errorName === "AbortError" || errorName === "TimeoutError"
        ? `no answer within ${at.timeoutMs} ms`
        : `unreachable (${(error as Error).message})`;
    return new StoreUnavailableError(at.store, `${at.what}: ${why}`, { cause: error });
  }
  return error;
}
