/**
 * A value computed from the store and reused for `ttlMs` after it arrived, however many readers
 * poll it. One computation at a time: readers that come while one runs share it, so a store
 * slower than the TTL (an aggregate over a large log) is never asked twice at once. A failure is
 * not kept (the next read tries again), so readers recover as soon as the store answers.
 */
export class Cached<T> {
  private running: Promise<T> | null = null;
  private settled: { readonly at: number; readonly value: T } | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly compute: () => Promise<T>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A value at most `ttlMs` old, waiting for a new computation when there is none. */
  get(): Promise<T> {
    const settled = this.settled;
    return settled !== null && this.now() - settled.at < this.ttlMs
      ? Promise.resolve(settled.value)
      : this.refresh();
  }

  /**
   * The last value computed, without waiting: for a reader that must answer at once (a metrics
   * scrape the autoscaler depends on). Undefined before the first computation has finished, and
   * once the last value is `maxAgeMs` old (the store has not answered since). A value past its
   * TTL starts a new computation in the background.
   */
  latest(maxAgeMs: number): T | undefined {
    const settled = this.settled;
    const age = settled === null ? Number.POSITIVE_INFINITY : this.now() - settled.at;
    // Its failure is the next reader's to retry; nobody awaits this one.
    if (age >= this.ttlMs) this.refresh().catch(() => undefined);
    return age < maxAgeMs ? settled?.value : undefined;
  }

  private refresh(): Promise<T> {
    if (this.running === null) {
      const running = this.compute().then((value) => {
        this.settled = { at: this.now(), value };
        return value;
      });
      this.running = running;
      const done = () => {
        if (this.running === running) this.running = null;
      };
      running.then(done, done);
    }
    return this.running;
  }
}
