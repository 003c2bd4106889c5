import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchingWriter, type BatchingWriterOptions } from "./batching-writer.js";

const fast: BatchingWriterOptions = {
  capacity: 1000,
  batchSize: 10,
  flushIntervalMs: 2,
  retryBaseMs: 1,
  retryMaxMs: 8,
};

/** A sink that records batches and fails the writes whose 1-based index is in `failOn`. */
function recordingSink(failOn: ReadonlySet<number> = new Set()) {
  const batches: number[][] = [];
  let calls = 0;
  const sink = async (batch: readonly number[]) => {
    calls++;
    if (failOn.has(calls)) throw new Error(`store down (write ${calls})`);
    batches.push([...batch]);
  };
  return { sink, batches, calls: () => calls };
}

describe("BatchingWriter", () => {
  it("writes full batches and the remainder, in order", async () => {
    const { sink, batches } = recordingSink();
    const writer = new BatchingWriter(sink, fast);
    for (let i = 0; i < 25; i++) expect(writer.enqueue(i)).toBe(true);
    expect(await writer.close(1000)).toBe(0);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(writer.stats).toEqual({ depth: 0, written: 25, dropped: 0, failedWrites: 0 });
  });

  it("writes a partial batch after the flush interval without close", async () => {
    const { sink, batches } = recordingSink();
    const writer = new BatchingWriter(sink, fast);
    writer.enqueue(1);
    writer.enqueue(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(batches).toEqual([[1, 2]]);
    await writer.close(100);
  });

  it("keeps a failed batch and retries it: an outage loses nothing", async () => {
    const errors: number[] = [];
    const { sink, batches, calls } = recordingSink(new Set([1, 2, 3]));
    const writer = new BatchingWriter(sink, {
      ...fast,
      onWriteError: (_, attempt) => errors.push(attempt),
    });
    for (let i = 0; i < 15; i++) writer.enqueue(i);
    expect(await writer.close(2000)).toBe(0);
    expect(batches.flat()).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(errors).toEqual([1, 2, 3]);
    expect(calls()).toBe(5);
    expect(writer.stats.failedWrites).toBe(3);
  });

  it("drops and counts records beyond capacity instead of growing", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const written: number[] = [];
    const writer = new BatchingWriter(
      async (batch: readonly number[]) => {
        await gate;
        written.push(...batch);
      },
      { ...fast, capacity: 5, batchSize: 5 },
    );
    const accepted = Array.from({ length: 8 }, (_, i) => writer.enqueue(i));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
    expect(writer.stats.dropped).toBe(3);
    expect(writer.stats.depth).toBe(5);
    release();
    expect(await writer.close(1000)).toBe(0);
    expect(written).toEqual([0, 1, 2, 3, 4]);
  });

  it("gives up at the close deadline when the store stays down, reporting what is left", async () => {
    const writer = new BatchingWriter(async () => {
      throw new Error("unreachable");
    }, fast);
    for (let i = 0; i < 12; i++) writer.enqueue(i);
    const started = Date.now();
    expect(await writer.close(60)).toBe(12);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(writer.enqueue(99)).toBe(false);
    expect(writer.stats.dropped).toBe(1);
  });

  it("rejects impossible options, naming them", () => {
    const sink = async () => {};
    expect(() => new BatchingWriter(sink, { ...fast, capacity: 0 })).toThrow(/capacity/);
    expect(() => new BatchingWriter(sink, { ...fast, batchSize: 2000 })).toThrow(
      /batchSize must not exceed capacity/,
    );
    expect(() => new BatchingWriter(sink, { ...fast, retryBaseMs: -1 })).toThrow(/retryBaseMs/);
  });

  it("writes every accepted record exactly once, whatever fails when", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 6 }),
        async (count, batchSize, failures) => {
          const { sink, batches } = recordingSink(new Set(failures));
          const writer = new BatchingWriter(sink, { ...fast, batchSize, retryMaxMs: 2 });
          for (let i = 0; i < count; i++) writer.enqueue(i);
          expect(await writer.close(3000)).toBe(0);
          expect(batches.flat()).toEqual(Array.from({ length: count }, (_, i) => i));
        },
      ),
      { numRuns: 40 },
    );
  });
});
