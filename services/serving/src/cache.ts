/**
 * A value computed from the store and reused for `ttlMs` after it arrived, however many readers
 * poll it, and for at least SLOW_REUSE times as long as it took to compute: a dashboard polling
 * every few seconds would otherwise keep the store's reader busy without a pause once an
 * aggregate over a large log takes longer than the TTL (about 5 s over 6 million logs), taking CPU
 * from the requests being served. One computation at a time: readers that come while one runs
 * share it. A failure is not kept (the next read tries again), so readers recover as soon as the
 * store answers.
 */
/** A value is reused for at least this many times what it took to compute. */
const SLOW_REUSE = 4;

export class Cached<T> {
  private running: Promise<T> | null = null;
  private settled: { readonly at: number; readonly value: T; readonly freshMs: number } | null =
    null;

  constructor(
    private readonly ttlMs: number,
    private readonly compute: () => Promise<T>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A value still fresh (above), waiting for a new computation when there is none. */
  get(): Promise<T> {
    const settled = this.settled;
    return settled !== null && this.now() - settled.at < settled.freshMs
      ? Promise.resolve(settled.value)
      : this.refresh();
  }

  /**
   * The last value computed, without waiting: for a reader that must answer at once (a metrics
   * scrape the autoscaler depends on). Undefined before the first computation has finished, and
   * once the last value is `maxAgeMs` old (the store has not answered since). A value no longer
   * fresh starts a new computation in the background.
   */
  latest(maxAgeMs: number): T | undefined {
    const settled = this.settled;
    const age = settled === null ? Number.POSITIVE_INFINITY : this.now() - settled.at;
    // Renewed by half its max age at the latest, so a slow computation still lands before the
    // value expires. Its failure is the next reader's to retry; nobody awaits this one.
    if (age >= Math.min(settled?.freshMs ?? 0, maxAgeMs / 2)) this.refresh().catch(() => undefined);
    return age < maxAgeMs ? settled?.value : undefined;
  }

  private refresh(): Promise<T> {
    if (this.running === null) {
      const started = this.now();
      const running = this.compute().then((value) => {
        const at = this.now();
        this.settled = { at, value, freshMs: Math.max(this.ttlMs, SLOW_REUSE * (at - started)) };
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
