/**
 * Latencies for a load test in bounded memory: log-spaced buckets 1 % wide from 1 µs to 10
 * minutes, so any quantile is within 1 % of the exact one however long the test runs; the count,
 * sum (hence the mean), minimum and maximum are exact.
 */

/** Relative width of a bucket: a reported quantile is within this fraction of the exact one. */
export const RELATIVE_ERROR = 0.01;
const MIN_MS = 0.001;
const MAX_MS = 600_000;
const GROWTH = 1 + 2 * RELATIVE_ERROR;
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / Math.log(GROWTH)) + 1;

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  /** Adds one latency in milliseconds (clamped to the 1 µs – 10 min range). */
  record(ms: number): void {
    const v = Math.min(MAX_MS, Math.max(MIN_MS, ms));
    this.#counts[Math.floor(Math.log(v / MIN_MS) / Math.log(GROWTH))]! += 1;
    this.#count += 1;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  /** Mean in ms (exact); 0 when empty. */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  get max(): number {
    return this.#max;
  }

  /**
   * The `q`-quantile (0 < q ≤ 1) by nearest rank: the smallest recorded latency with at least
   * q × count latencies at or below it, to within `RELATIVE_ERROR`; 0 when empty.
   */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) {
        // The bucket's geometric middle, kept inside the exact extremes.
        const mid = MIN_MS * GROWTH ** (i + 0.5);
        return Math.min(this.#max, Math.max(this.#min, mid));
      }
    }
    return this.#max;
  }
}
