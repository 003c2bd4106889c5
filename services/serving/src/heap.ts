/**
 * Start-up leaves V8's young generation at its ceiling: the models are parsed from megabytes of
 * JSON, most of it survives a scavenge or two, and V8 answers survival by growing the semi-spaces
 * to `--max-semi-space-size`. Nothing shrinks them again until a memory-reducing collection, which
 * an idle process may not see for a long time. So a process that serves with a young generation
 * large enough for its request rate (the image's CMD: 8 MiB semi-spaces, where 1 MiB cost ~8 %
 * more CPU a prediction) would hold that space, resident, at rest.
 *
 * `releaseStartupHeap` runs that collection once, when start-up is done and before the port
 * opens: the start-up garbage goes, the young generation returns to its initial size, and it
 * grows again only under load. V8 gives a script its collector only behind `--expose-gc`; the
 * flag is set just long enough to take the function from a fresh context (what jest does for its
 * leak detector), so no global `gc` is left for other code.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The options of V8's `gc` extension that this module uses. */
interface GcOptions {
  readonly type: "major";
  readonly execution: "sync";
  /** `last-resort`: V8's collection for low memory, which also shrinks the young generation. */
  readonly flavor: "last-resort";
}

/** Collects start-up's garbage and shrinks the young generation; returns the pause in ms. */
export function releaseStartupHeap(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (options: GcOptions) => void;
  setFlagsFromString("--no-expose-gc");
  const started = performance.now();
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  return performance.now() - started;
}
