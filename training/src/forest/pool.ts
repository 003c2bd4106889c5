import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { FlatTree } from "@mlops/models";
import { Piscina } from "piscina";
import { requirePositiveInteger } from "../errors.js";
import type { TreeBatch } from "./batch.js";

/** Worker threads that grow trees; reuse one across fits to pay the thread start-up once. */
export interface TrainingPool {
  readonly threads: number;
  /** Grows a batch in a worker thread. */
  run(batch: TreeBatch): Promise<FlatTree[]>;
  /** Resolves once every thread has started and loaded the worker (so timings exclude it). */
  ready(): Promise<void>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/**
 * Starts `threads` worker threads. From TypeScript sources (tsx, vitest) the worker entry is
 * `worker.ts` and each thread loads tsx first; from compiled output it is `worker.js`.
 */
export function createTrainingPool(threads: number): TrainingPool {
  requirePositiveInteger("threads", threads);
  const fromSource = import.meta.url.endsWith(".ts");
  const filename = new URL(fromSource ? "./worker.ts" : "./worker.js", import.meta.url).href;
  // tsx is a development tool: compiled output neither needs nor ships it.
  const tsx = fromSource ? pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href : "";
  const piscina = new Piscina<TreeBatch | null, FlatTree[]>({
    filename,
    minThreads: threads,
    maxThreads: threads,
    // Tasks are whole batches of CPU-bound work: one at a time per thread.
    concurrentTasksPerWorker: 1,
    execArgv: fromSource ? ["--import", tsx] : [],
  });
  return {
    threads,
    run: (batch) => piscina.run(batch),
    // One ping per thread: with one task per thread at a time, each lands on its own thread.
    ready: async () => {
      await Promise.all(Array.from({ length: threads }, () => piscina.run(null)));
    },
    close: () => piscina.destroy(),
  };
}
