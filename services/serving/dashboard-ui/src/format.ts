/** Number formatting shared by the panels. */

export const int = (x: number): string => Math.round(x).toLocaleString("en-US");

/** Four significant digits, without trailing zeros. */
export const num = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? "–" : String(Number(x.toPrecision(4)));

export const pct = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined ? "–" : `${(100 * x).toFixed(digits)} %`;

export const interval = (ci: readonly [number, number] | null): string =>
  ci === null ? "–" : `[${num(ci[0])}, ${num(ci[1])}]`;

export const clock = (epochMs: number): string =>
  new Date(epochMs).toLocaleTimeString("en-GB", { hour12: false });

/** Escapes text for insertion into HTML. */
export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}
