/**
 * Document operations every Cosmos repository builds on: queries, point reads, conditional
 * creates and replaces (id uniqueness within a partition, ETag If-Match), optimistic
 * read-modify-write, and bulk creates, all through the connection's `call` (retry and deadline).
 */
import type { Container, ItemDefinition, OperationInput, SqlParameter } from "@azure/cosmos";
import { eachLimited } from "@mlops/contracts";
import { StoreConflictError, StoreNotFoundError, StoreUnavailableError } from "../errors.js";
import type { CosmosConnection } from "./connection.js";
import { isTransient, statusOf } from "./retry.js";

/** Documents per bulk request. */
export const BULK_CHUNK = 100;
/** Attempts of an optimistic read-modify-write before it reports a conflict. */
const MAX_RACES = 100;
/** Bulk requests in flight at once: enough to keep several partitions busy, few enough to pace RUs. */
const BULK_PARALLEL = 4;

/** A document as read, with the ETag that conditions a later write. */
export interface Versioned<T> {
  readonly doc: T;
  readonly etag: string | undefined;
}

/** The connection with the document operations over it: what a repository is built from. */
export interface CosmosCore extends CosmosConnection {
  /**
   * A query; with `partitionKey` it is routed to that partition. Partition queries also filter
   * on the key in SQL: the emulator ignores the routing option, real Cosmos DB pays nothing for it.
   */
  query<T>(
    container: Container,
    what: string,
    text: string,
    parameters: SqlParameter[],
    partitionKey?: string,
  ): Promise<T[]>;
  /** A point read; null on 404. */
  read<T extends ItemDefinition>(
    container: Container,
    id: string,
    pk: string,
    what: string,
  ): Promise<Versioned<T> | null>;
  /** Create; false if the id exists (409). */
  create(container: Container, doc: ItemDefinition, what: string): Promise<boolean>;
  /** Replace only if unchanged since read; false on 412. */
  replaceIfMatch(
    container: Container,
    doc: ItemDefinition,
    etag: string,
    pk: string,
    what: string,
  ): Promise<boolean>;
  /** Read-modify-write with an ETag precondition, re-reading after a lost race. */
  update<T extends ItemDefinition>(
    container: Container,
    id: string,
    pk: string,
    what: string,
    change: (doc: T) => T,
  ): Promise<T>;
  /** Bulk-create documents; returns the ids that were new (409 = already stored). */
  bulkCreate(container: Container, docs: ItemDefinition[], what: string): Promise<Set<string>>;
  /**
   * Optimistic loops re-read after losing a race; under pathological contention they give up
   * with a conflict rather than spin forever. Call with the loop's attempt number, from 1.
   */
  lostRaces(race: number, what: string): void;
}

/** The document operations over `connection`. */
export function cosmosCore(connection: CosmosConnection): CosmosCore {
  const { name, call } = connection;

  const lostRaces = (race: number, what: string) => {
    if (race > MAX_RACES) {
      throw new StoreConflictError(name, `${what}: lost ${MAX_RACES} concurrent races in a row`);
    }
  };

  const read = <T extends ItemDefinition>(
    container: Container,
    id: string,
    pk: string,
    what: string,
  ): Promise<Versioned<T> | null> =>
    call(what, async (abortSignal) => {
      const response = await container.item(id, pk).read<T>({ abortSignal });
      return response.statusCode === 404 || response.resource === undefined
        ? null
        : { doc: response.resource, etag: response.etag };
    });

  const replaceIfMatch = async (
    container: Container,
    doc: ItemDefinition,
    etag: string,
    pk: string,
    what: string,
  ): Promise<boolean> => {
    try {
      await call(what, (abortSignal) =>
        container
          .item(doc.id as string, pk)
          .replace(doc, { abortSignal, accessCondition: { type: "IfMatch", condition: etag } }),
      );
      return true;
    } catch (error) {
      if (statusOf(error) === 412) return false;
      throw error;
    }
  };

  return {
    ...connection,
    lostRaces,
    read,
    replaceIfMatch,
    query: (container, what, text, parameters, partitionKey) =>
      call(what, async (abortSignal) => {
        const { resources } = await container.items
          .query(
            { query: text, parameters },
            { abortSignal, ...(partitionKey === undefined ? {} : { partitionKey }) },
          )
          .fetchAll();
        return resources;
      }),
    create: async (container, doc, what) => {
      try {
        await call(what, (abortSignal) => container.items.create(doc, { abortSignal }));
        return true;
      } catch (error) {
        if (statusOf(error) === 409) return false;
        throw error;
      }
    },
    update: async <T extends ItemDefinition>(
      container: Container,
      id: string,
      pk: string,
      what: string,
      change: (doc: T) => T,
    ): Promise<T> => {
      for (let race = 1; ; race++) {
        lostRaces(race, what);
        const current = await read<T>(container, id, pk, what);
        if (current === null) throw new StoreNotFoundError(name, `${what}: not found`);
        const next = change(current.doc);
        if (await replaceIfMatch(container, next, current.etag as string, pk, what)) return next;
      }
    },
    bulkCreate: async (container, docs, what) => {
      const created = new Set<string>();
      const chunks: ItemDefinition[][] = [];
      for (let i = 0; i < docs.length; i += BULK_CHUNK) chunks.push(docs.slice(i, i + BULK_CHUNK));
      await eachLimited(chunks, BULK_PARALLEL, async (chunk) => {
        let pending = chunk;
        // Throttled operations inside a bulk response are retried alone, under the same policy.
        await call(what, async () => {
          const ops: OperationInput[] = pending.map((resourceBody) => ({
            operationType: "Create",
            resourceBody,
          }));
          const results = await container.items.bulk(ops, { continueOnError: true });
          const retry: ItemDefinition[] = [];
          results.forEach((result, k) => {
            const doc = pending[k] as ItemDefinition;
            const failure = { code: result.statusCode };
            if (result.statusCode === 201) created.add(doc.id as string);
            else if (result.statusCode === 409) return;
            else if (isTransient(failure)) retry.push(doc);
            else {
              throw new StoreUnavailableError(
                name,
                `${what}: item ${doc.id} failed with ${result.statusCode}`,
                { cause: failure },
              );
            }
          });
          if (retry.length > 0) {
            pending = retry;
            throw Object.assign(new Error(`${what}: ${retry.length} operations throttled`), {
              code: 429,
            });
          }
        });
      });
      return created;
    },
  };
}

/** The document without the server's system properties (`_rid`, `_etag`, …). */
export function stripMeta<T extends object>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith("_"))) as T;
}

/** `fn` over consecutive slices of `size` items, one slice at a time. */
export async function inChunks<T>(
  items: readonly T[],
  size: number,
  fn: (chunk: T[]) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}
