/**
 * Prediction logs written on a thread of their own. A server logs thousands of predictions a
 * second and better-sqlite3 writes synchronously: on the event loop every batch, every WAL
 * checkpoint a batch triggers and every wait for another process's write lock would hold up the
 * requests being served. The thread owns a second connection to the same file and runs the
 * adapter's own `predictions.insertMany`, so validation (also off the event loop: a batch of a
 * thousand records takes milliseconds to check), idempotency and the joining of early outcomes
 * are those of the adapter, and so are its errors.
 */
import { Worker } from "node:worker_threads";
import {
  ContractValidationError,
  type PredictionRecord,
  type ValidationIssue,
} from "@mlops/contracts";
import { StoreUnavailableError } from "../errors.js";
import type { WriteResult } from "../store.js";

/** What the thread is started with. */
export interface WriterThreadData {
  readonly path: string;
  readonly busyTimeoutMs: number | undefined;
}

/** A request to the thread and its answer, matched by `id`. */
export interface WriteRequest {
  readonly id: number;
  readonly records: readonly PredictionRecord[];
}
export type WriteReply =
  | { readonly id: number; readonly result: WriteResult }
  | { readonly id: number; readonly invalid: { subject: string; issues: ValidationIssue[] } }
  | { readonly id: number; readonly error: string };

export interface PredictionWriter {
  insertMany(records: readonly PredictionRecord[]): Promise<WriteResult>;
  /** Waits for the writes in flight, then stops the thread. */
  close(): Promise<void>;
}

/**
 * Starts the writer thread for the store file `path`; `store` names the store in errors. A
 * thread that dies fails the writes in flight with `StoreUnavailableError`; the next write
 * starts a new one.
 */
export function startPredictionWriter(store: string, data: WriterThreadData): PredictionWriter {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(`./prediction-writer.thread.${fromSource ? "ts" : "js"}`, import.meta.url);
  const tsxApi = fromSource ? import.meta.resolve("tsx/esm/api") : "";
  let current: WriterThread | undefined;
  let closing = false;

  interface WriterThread {
    readonly worker: Worker;
    readonly pending: Map<
      number,
      { resolve: (r: WriteResult) => void; reject: (e: Error) => void }
    >;
    nextId: number;
  }

  const start = (): WriterThread => {
    // From TypeScript sources the thread imports its entry through tsx's API (a .ts entry
    // given to Worker directly, or after `--import tsx`, fails to resolve in a thread on Node 20).
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))`,
          { eval: true, workerData: data satisfies WriterThreadData },
        )
      : new Worker(entry, { workerData: data satisfies WriterThreadData });
    const thread: WriterThread = { worker, pending: new Map(), nextId: 0 };
    /** A dead thread fails what it held; the next write starts another. */
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
    worker.on("error", (error) => retire(`the prediction writer thread failed (${error.message})`));
    worker.on("exit", (code) => retire(`the prediction writer thread stopped (exit code ${code})`));
    return thread;
  };

  return {
    insertMany(records) {
      if (closing) return Promise.reject(new StoreUnavailableError(store, "is closed"));
      current ??= start();
      const thread = current;
      // Held while writes are in flight, so they finish; idle, it never keeps a process alive.
      thread.worker.ref();
      const id = thread.nextId++;
      return new Promise((resolve, reject) => {
        thread.pending.set(id, { resolve, reject });
        thread.worker.postMessage({ id, records } satisfies WriteRequest);
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
