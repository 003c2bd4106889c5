/**
 * A bounded, batching, retrying writer: the path from a served prediction to the store.
 *
 * - `enqueue` never waits for the store: it appends to a bounded buffer and returns at once.
 * - Records leave in batches of `batchSize`, when a batch is full or every `flushIntervalMs`.
 * - A failed batch stays at the head of the buffer and is retried with exponential backoff
 *   (`retryBaseMs` doubling up to `retryMaxMs`), so an outage loses nothing while the buffer
 *   holds; records must therefore be idempotent by id (the store ignores repeats).
 * - When the buffer is full new records are dropped and counted, never held in unbounded
 *   memory.
 * - `close` stops intake and flushes what is left, retrying until its deadline.
 */

/** Where batches go; rejects when the batch was not (wholly) written. */
export type BatchSink<T> = (batch: readonly T[]) => Promise<void>;

export interface BatchingWriterOptions {
  /** Most records held at once (queued and in flight). */
  readonly capacity: number;
  /** Records per write. */
  readonly batchSize: number;
  /** Longest a record waits for a batch to fill. */
  readonly flushIntervalMs: number;
  /** First retry delay after a failed write. */
  readonly retryBaseMs: number;
  /** Cap of the doubling retry delay. */
  readonly retryMaxMs: number;
  /** Called after each failed write (for logs); the batch is kept and retried. */
  readonly onWriteError?: (error: unknown, attempt: number) => void;
}

export interface BatchingWriterStats {
  /** Records waiting, including a batch in flight. */
  readonly depth: number;
  readonly written: number;
  readonly dropped: number;
  readonly failedWrites: number;
}

export class BatchingWriter<T> {
  private buffer: T[] = [];
  private head = 0;
  private inFlight = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private retryDelay = 0;
  private attempt = 0;
  private written = 0;
  private dropped = 0;
  private failedWrites = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly sink: BatchSink<T>,
    private readonly options: BatchingWriterOptions,
  ) {
    for (const key of [
      "capacity",
      "batchSize",
      "flushIntervalMs",
      "retryBaseMs",
      "retryMaxMs",
    ] as const) {
      const value = options[key];
      if (!Number.isInteger(value) || value < (key === "capacity" || key === "batchSize" ? 1 : 0)) {
        throw new RangeError(
          `BatchingWriter option ${key} must be a non-negative integer (capacity and batchSize ≥ 1), got ${value}`,
        );
      }
    }
    if (options.batchSize > options.capacity) {
      throw new RangeError("BatchingWriter option batchSize must not exceed capacity");
    }
  }

  get stats(): BatchingWriterStats {
    return {
      depth: this.depth,
      written: this.written,
      dropped: this.dropped,
      failedWrites: this.failedWrites,
    };
  }

  private get depth(): number {
    return this.buffer.length - this.head;
  }

  /** Queues one record; false when it was dropped (buffer full, or the writer is closed). */
  enqueue(record: T): boolean {
    if (this.closed || this.depth >= this.options.capacity) {
      this.dropped++;
      return false;
    }
    this.buffer.push(record);
    if (this.depth >= this.options.batchSize && this.retryDelay === 0 && !this.inFlight) {
      // A full batch goes now, not at the end of a pending flush interval.
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule(0);
    } else this.schedule(this.options.flushIntervalMs);
    return true;
  }

  /** Stops intake and writes what is left; resolves with the number of records not written. */
  async close(deadlineMs: number): Promise<number> {
    this.closed = true;
    const deadline = Date.now() + deadlineMs;
    while (this.depth > 0 && Date.now() < deadline) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      await this.waitIdle();
      if (this.depth === 0) break;
      const wait = Math.min(this.retryDelay, deadline - Date.now());
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (Date.now() >= deadline) break;
      await this.flush();
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.waitIdle();
    return this.depth;
  }

  private waitIdle(): Promise<void> {
    return this.inFlight ? new Promise((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.inFlight) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    // Logging must never keep a stopping process alive; close() drives the last flush.
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.depth === 0) return;
    this.inFlight = true;
    const end = Math.min(this.buffer.length, this.head + this.options.batchSize);
    const batch = this.buffer.slice(this.head, end);
    try {
      await this.sink(batch);
      this.head = end;
      this.written += batch.length;
      this.retryDelay = 0;
      this.attempt = 0;
      this.compact();
    } catch (error) {
      this.failedWrites++;
      this.attempt++;
      this.retryDelay = Math.min(
        this.options.retryMaxMs,
        this.options.retryBaseMs * 2 ** (this.attempt - 1),
      );
      this.options.onWriteError?.(error, this.attempt);
    } finally {
      this.inFlight = false;
      for (const resolve of this.idle.splice(0)) resolve();
    }
    if (this.depth > 0 && !this.closed) {
      this.schedule(
        this.retryDelay > 0
          ? this.retryDelay
          : this.depth >= this.options.batchSize
            ? 0
            : this.options.flushIntervalMs,
      );
    }
  }

  /** Drops written records from the front once they are a large share of the array. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }
}
