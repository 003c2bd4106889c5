import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** A test file's scratch directory; `path` exists from the file's first hook on. */
export interface ScratchDir {
  readonly path: string;
}

/**
 * Registers vitest hooks that create a scratch directory (named from `prefix`) before a test
 * file's tests and remove it after them.
 */
export function scratchDir(prefix: string): ScratchDir {
  let path: string | undefined;
  beforeAll(async () => {
    path = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (path !== undefined) await rm(path, { recursive: true, force: true });
  });
  return {
    get path() {
      if (path === undefined)
        throw new Error(`${prefix}: the scratch directory exists once tests run`);
      return path;
    },
  };
}
