import { threadModule } from "@mlops/contracts/files";
import type { FlatTree } from "@mlops/models";
import { Piscina } from "piscina";
import { requireThreads } from "../errors.js";
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

/** Starts `threads` worker threads running worker.ts. */
export function createTrainingPool(threads: number): TrainingPool {
  requireThreads(threads);
  const { filename, execArgv } = threadModule(import.meta.url, "worker");
  const piscina = new Piscina<TreeBatch | null, FlatTree[]>({
    filename,
    minThreads: threads,
    maxThreads: threads,
    // Tasks are whole batches of CPU-bound work: one at a time per thread.
    concurrentTasksPerWorker: 1,
    execArgv,
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
