/**
 * Histogram building spread over worker threads by feature: each thread sums its own features
 * over all of a node's rows into a shared histogram, in row order, so the result does not depend
 * on how many threads there are. Threads meet through `Atomics.wait`/`notify` on a shared control
 * block, not messages, because a tree needs a histogram per split.
 *
 * Spreading can only pay on nodes with many rows × features: below {@link PARALLEL_MIN_WORK} the
 * calling thread builds alone. It also needs idle cores: on a 2-core machine shared with a dozen
 * busy processes, a spread histogram took longer than one thread's at every size measured (the
 * thread that finishes first sleeps until the other is scheduled). `pnpm bench:train` measures it.
 */
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { featureShare, type HistogramWorkerData, Slot } from "./control.js";
import type { HistogramBuilder } from "./grow.js";
import { buildHistogram, HIST_STRIDE, type HistogramInputs } from "./histogram.js";

/**
 * Rows × features of a node below which one thread builds its histogram. Waking a worker and
 * waiting for it cost about 30 µs here, what one thread takes for 10⁴ row-features; from 2¹⁷ on
 * that is under a tenth of the build it splits.
 */
export const PARALLEL_MIN_WORK = 1 << 17;

/**
 * Workers to start for `threads` threads on `nRows` × `nFeatures` training rows: none when not
 * even the root would reach {@link PARALLEL_MIN_WORK} (they would only cost their start-up).
 */
export function workersFor(threads: number, nRows: number, nFeatures: number): number {
  return nRows * nFeatures >= PARALLEL_MIN_WORK ? threads - 1 : 0;
}

export class HistogramWorkers implements HistogramBuilder {
  private constructor(
    private readonly input: HistogramInputs,
    private readonly workers: Worker[],
    private readonly control: Int32Array,
    private readonly shared: Float64Array,
  ) {}

  /** Starts `count` workers over `input`, whose arrays must be shared memory. */
  static async start(count: number, input: HistogramInputs): Promise<HistogramWorkers> {
    const control = new Int32Array(new SharedArrayBuffer(4 * (Slot.Features + input.nFeatures)));
    const total = input.offsets[input.nFeatures] * HIST_STRIDE;
    const hist = new Float64Array(new SharedArrayBuffer(8 * total));
    const code = workerEntry();
    const workers = Array.from({ length: count }, (_, w) => {
      const workerData: HistogramWorkerData = {
        input,
        control,
        hist,
        index: w + 1,
        participants: count + 1,
      };
      return new Worker(code, { eval: true, workerData });
    });
    try {
      await Promise.all(workers.map((worker) => once(worker, "message")));
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new HistogramWorkers(input, workers, control, hist);
  }

  /** Sums rows [start, end) over `features` into `hist`: on every thread once the work pays. */
  build(
    ghBase: number,
    start: number,
    end: number,
    features: Int32Array,
    hist: Float64Array,
  ): void {
    const { input, control, shared, workers } = this;
    if ((end - start) * features.length < PARALLEL_MIN_WORK) {
      buildHistogram(input, ghBase, start, end, features, 0, features.length, hist);
      return;
    }
    // Every thread sums its share of the features into the shared histogram.
    control[Slot.GhBase] = ghBase;
    control[Slot.Start] = start;
    control[Slot.End] = end;
    control[Slot.FeatureCount] = features.length;
    control.set(features, Slot.Features);
    Atomics.store(control, Slot.Done, 0);
    Atomics.add(control, Slot.Generation, 1);
    Atomics.notify(control, Slot.Generation);
    const [from, to] = featureShare(features.length, 0, workers.length + 1);
    buildHistogram(input, ghBase, start, end, features, from, to, shared);
    for (
      let done = Atomics.load(control, Slot.Done);
      done < workers.length;
      done = Atomics.load(control, Slot.Done)
    ) {
      Atomics.wait(control, Slot.Done, done);
    }
    if (Atomics.load(control, Slot.Failed) !== 0) throw new Error("a histogram worker failed");
    const { offsets } = input;
    for (const f of features) {
      const a = offsets[f] * HIST_STRIDE;
      const b = offsets[f + 1] * HIST_STRIDE;
      hist.set(shared.subarray(a, b), a);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    Atomics.store(this.control, Slot.Stop, 1);
    Atomics.add(this.control, Slot.Generation, 1);
    Atomics.notify(this.control, Slot.Generation);
    await Promise.all(this.workers.map((worker) => once(worker, "exit")));
  }
}

/**
 * The worker's code. From TypeScript sources it registers tsx's require hook and requires the
 * entry: on Node 20, tsx's import hooks do not reach worker threads (`--import tsx` leaves a
 * worker unable to import .ts), while its require hook does. Compiled, it imports the .js entry.
 */
function workerEntry(): string {
  if (!import.meta.url.endsWith(".ts")) {
    return `import(${JSON.stringify(new URL("./histogram-worker.js", import.meta.url).href)})`;
  }
  const require = createRequire(import.meta.url);
  const entry = fileURLToPath(new URL("./histogram-worker.ts", import.meta.url));
  return `require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(entry)});`;
}
