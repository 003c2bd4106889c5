/**
 * A suite's scratch directory and the processes it starts there, torn down after the suite.
 * Apart from `process.ts` because it registers vitest hooks, and `process.ts` also serves
 * scripts that run outside vitest (`telemetry-scenario.ts`).
 */
import { scratchDir } from "@mlops/contracts/test-support/hooks";
import { afterAll } from "vitest";
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
 * process in `running` and removes the directory (vitest runs after-hooks last-registered
 * first, so the processes are gone before their directory is).
 */
export function scratchSuite(prefix: string): ScratchSuite {
  const scratch = scratchDir(prefix);
  const running: Started[] = [];
  afterAll(async () => {
    for (const s of running) await s.stop("SIGKILL");
  });
  return {
    get dir() {
      return scratch.path;
    },
    running,
  };
}
