/**
 * The Node a serving process needs. Older ones fail in ways that say nothing: Debian's Node 20
 * loads better-sqlite3's binary and then crashes with a segmentation fault on the first query.
 */

/** The oldest Node the platform runs on: the root package's `engines.node` (a test holds it). */
export const MIN_NODE_VERSION = "24.11.0";

/** Why `version` cannot run the platform, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  const have = version.split(".").map(Number);
  const need = MIN_NODE_VERSION.split(".").map(Number);
  for (let i = 0; i < need.length; i++) {
    const [h, n] = [have[i] ?? 0, need[i]!];
    if (h > n) return undefined;
    if (h < n) {
      return `Node ${version} is too old: the platform needs Node ${MIN_NODE_VERSION} or later; run it through pnpm (pnpm start), which puts the project's own Node first on the PATH`;
    }
  }
  return undefined;
}
