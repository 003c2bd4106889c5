/**
 * A suite's scratch directory and the processes it starts there, torn down after the suite.
 * Apart from `process.ts` because it registers vitest hooks, and `process.ts` also serves
 * scripts that run outside vitest (`telemetry-scenario.ts`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { Started } from "./process.js";

/** A suite's scratch directory and the processes it started there. */
export interface ScratchSuite {
  /** The directory; it exists from the suite's first hook on. */
  readonly dir: string;
  /** Push every started process here: each is killed after the suite. */
  readonly running: Started[];
}

/**
 * Creates a scratch directory (named from `prefix`) before the suite and, after it, kills every
 * process in `running` and removes the directory.
 */
export function scratchSuite(prefix: string): ScratchSuite {
  let dir: string | undefined;
  const running: Started[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const s of running) await s.stop("SIGKILL");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      if (dir === undefined)
        throw new Error(`${prefix}: the scratch directory exists once the suite runs`);
      return dir;
    },
    running,
  };
}
