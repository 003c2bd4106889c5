/**
 * Timing in-process fits for `garch fit --repeat` and `pnpm bench:garch`: untimed warm-up fits
 * first, as the R reference warms up before timing. V8 first interprets the likelihood pass and
 * compiles it on a background thread, which is start-up, not fitting; on a busy machine that
 * compile can take long, so warm-up goes on until the fit time stops falling.
 */
import { performance } from "node:perf_hooks";

/** Warm-up ends once it has run this long and the last fits are no faster than the ones before. */
const MIN_WARM_UP_MS = 250;
/** ...and in any case after this long. */
const MAX_WARM_UP_MS = 3000;
/** Fits per window compared. */
const WINDOW = 5;
/** A fit this long is past start-up effects after the first few: warm-up stops at the minimum. */
const LONG_FIT_MS = 25;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs `run` untimed until at least MIN_WARM_UP_MS have passed and the median of the last
 * WINDOW runs is within 3% of (or above) the median of the WINDOW before; long fits stop at the
 * minimum, and every warm-up at MAX_WARM_UP_MS (at least one run).
 */
export function warmUp(run: () => void): void {
  const start = performance.now();
  const times: number[] = [];
  for (;;) {
    const t0 = performance.now();
    run();
    const now = performance.now();
    times.push(now - t0);
    if (now - start < MIN_WARM_UP_MS) continue;
    if (now - start >= MAX_WARM_UP_MS || now - t0 >= LONG_FIT_MS) return;
    if (times.length < 2 * WINDOW) continue;
    const last = median(times.slice(-WINDOW));
    const before = median(times.slice(-2 * WINDOW, -WINDOW));
    if (last >= 0.97 * before) return;
  }
}
