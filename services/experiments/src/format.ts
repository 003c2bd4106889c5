/** Numbers as decisions and reports print them. */

/** Four significant digits, without trailing zeros: what people compare at a glance. */
export function formatNumber(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** An interval as `[lo, hi]`, each bound as `formatNumber` prints it. */
export function formatInterval([lo, hi]: readonly [number, number]): string {
  return `[${formatNumber(lo)}, ${formatNumber(hi)}]`;
}
