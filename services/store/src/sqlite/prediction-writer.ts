/**
 * The prediction log on threads of its own. A server logs thousands of predictions a second and
 * better-sqlite3 runs synchronously: on the event loop every batch, every WAL checkpoint a batch
 * triggers and every wait for another process's write lock would hold up the requests being
 * served, and so would the per-variant aggregates over a large log (~100 ms over a busy hour,
 * minutes over a log of tens of millions) that the A/B statistics and the accuracy gauge read.
 * The writer thread owns a second connection to the same file and runs the adapter's own
 * `predictions.insertMany`, so validation (also off the event loop: a batch of a thousand records
 * takes milliseconds to check), idempotency, the joining of early outcomes and the errors are
 * those of the adapter. The aggregates run the same way on a reader thread with a third
 * connection: in WAL mode a reader and the writer work at once, so a long aggregate never holds
 * up the batches behind it (their buffer would fill and drop predictions while it ran).
 */
import { Worker } from "node:worker_threads";
import {
  type AggregateQuery,
  type AssignmentGroup,
  ContractValidationError,
  type PredictionRecord,
  type PredictionRecordInput,
  type ValidationIssue,
  type VariantAggregate,
  type VariantUnits,
} from "@mlops/contracts";
import { StoreUnavailableError } from "../errors.js";
import type { WriteResult } from "../store.js";

/** What the thread is started with. */
export interface WriterThreadData {
  readonly path: string;
  readonly busyTimeoutMs: number | undefined;
}

/** What the thread runs for its owner: the adapter's own methods, by name. */
export interface ThreadOps {
  insertMany: { input: readonly PredictionRecordInput[]; output: WriteResult };
  insertValidated: { input: readonly PredictionRecord[]; output: WriteResult };
  aggregate: { input: AggregateQuery; output: VariantAggregate[] };
  units: { input: AggregateQuery; output: VariantUnits[] };
  assignments: { input: AggregateQuery; output: AssignmentGroup[] };
  usersInSeveralArms: { input: AggregateQuery; output: number };
}

/** A request to the thread and its answer, matched by `id`. */
export interface WriteRequest {
  readonly id: number;
  readonly op: keyof ThreadOps;
  readonly input: unknown;
}
export type WriteReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly invalid: { subject: string; issues: ValidationIssue[] } }
  | { readonly id: number; readonly error: string };

export interface PredictionWriter {
  insertMany(records: readonly PredictionRecordInput[]): Promise<WriteResult>;
  insertValidated(records: readonly PredictionRecord[]): Promise<WriteResult>;
  aggregate(query: AggregateQuery): Promise<VariantAggregate[]>;
  units(query: AggregateQuery): Promise<VariantUnits[]>;
  assignments(query: AggregateQuery): Promise<AssignmentGroup[]>;
  usersInSeveralArms(query: AggregateQuery): Promise<number>;
  /** Waits for the requests in flight, then stops the thread. */
  close(): Promise<void>;
}

/** One thread with its own connection, and the requests it holds. */
interface Lane {
  call<K extends keyof ThreadOps>(
    op: K,
    input: ThreadOps[K]["input"],
  ): Promise<ThreadOps[K]["output"]>;
  /** Waits for the requests in flight, then stops the thread. */
  close(): Promise<void>;
}

/**
 * Starts the prediction log's threads for the store file `path`; `store` names the store in
 * errors. Writes go to one thread and the aggregates to another, each started on first use.
 */
export function startPredictionWriter(store: string, data: WriterThreadData): PredictionWriter {
  const writes = startLane(store, data, "writer");
  const reads = startLane(store, data, "reader");
  return {
    insertMany: (records) => writes.call("insertMany", records),
    insertValidated: (records) => writes.call("insertValidated", records),
    aggregate: (query) => reads.call("aggregate", query),
    units: (query) => reads.call("units", query),
    assignments: (query) => reads.call("assignments", query),
    usersInSeveralArms: (query) => reads.call("usersInSeveralArms", query),
    async close() {
      await Promise.all([writes.close(), reads.close()]);
    },
  };
}

/**
 * A lane: requests run on its thread one at a time, in order. A thread that dies fails the
 * requests in flight with `StoreUnavailableError`; the next request starts a new one.
 */
function startLane(store: string, data: WriterThreadData, role: "writer" | "reader"): Lane {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(`./prediction-writer.thread.${fromSource ? "ts" : "js"}`, import.meta.url);
  const tsxApi = fromSource ? import.meta.resolve("tsx/esm/api") : "";
  let current: LaneThread | undefined;
  let closing = false;

  interface LaneThread {
    readonly worker: Worker;
    readonly pending: Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>;
    nextId: number;
  }

  const start = (): LaneThread => {
    // From TypeScript sources the thread imports its entry through tsx's API (a .ts entry
    // given to Worker directly, or after `--import tsx`, fails to resolve in a thread on Node 20).
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`,
          { eval: true, workerData: data satisfies WriterThreadData },
        )
      : new Worker(entry, { workerData: data satisfies WriterThreadData });
    const thread: LaneThread = { worker, pending: new Map(), nextId: 0 };
    /** A dead thread fails what it held; the next request starts another. */
    const retire = (why: string) => {
      if (current === thread) current = undefined;
      for (const { reject } of thread.pending.values()) {
        reject(new StoreUnavailableError(store, why));
      }
      thread.pending.clear();
    };
    worker.on("message", (reply: WriteReply) => {
      const waiting = thread.pending.get(reply.id);
      if (waiting === undefined) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ("result" in reply) waiting.resolve(reply.result);
      else if ("invalid" in reply) {
        waiting.reject(new ContractValidationError(reply.invalid.subject, reply.invalid.issues));
      } else waiting.reject(new StoreUnavailableError(store, reply.error));
    });
    worker.on("error", (error) =>
      retire(`the prediction ${role} thread failed (${error.message})`),
    );
    worker.on("exit", (code) =>
      retire(`the prediction ${role} thread stopped (exit code ${code})`),
    );
    return thread;
  };

  return {
    call(op, input) {
      if (closing) return Promise.reject(new StoreUnavailableError(store, "is closed"));
      current ??= start();
      const thread = current;
      // Held while requests are in flight, so they finish; idle, it never keeps a process alive.
      thread.worker.ref();
      const id = thread.nextId++;
      return new Promise((resolve, reject) => {
        thread.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
        thread.worker.postMessage({ id, op, input } satisfies WriteRequest);
      });
    },
    async close() {
      closing = true;
      const thread = current;
      if (thread === undefined) return;
      while (thread.pending.size > 0) await new Promise((r) => setTimeout(r, 5));
      await thread.worker.terminate();
    },
  };
}
