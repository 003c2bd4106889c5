/**
 * A value recomputed at most once per `ttlMs`, however many readers poll it: concurrent readers
 * share one computation, and a failure is not cached (the next read tries again), so a reader
 * recovers as soon as the store answers again.
 */
export class Cached<T> {
  private value: { readonly at: number; readonly promise: Promise<T> } | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly compute: () => Promise<T>,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    const at = this.now();
    if (this.value === null || at - this.value.at >= this.ttlMs) {
      const promise = this.compute();
      const entry = { at, promise };
      this.value = entry;
      promise.catch(() => {
        if (this.value === entry) this.value = null;
      });
    }
    return this.value.promise;
  }
}
