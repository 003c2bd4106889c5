/**
 * Values a test file's tests share, made once before them by vitest hooks: apart from the rest
 * of the test support, which scripts running outside vitest use too.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** How {@link sharedBeforeAll} makes and drops its value. */
export interface SharedOptions<T> {
  /** Longest `make` may take. @default vitest's hook timeout */
  timeoutMs?: number;
  /** Releases the value after the file's tests. */
  dispose?: (value: T) => Promise<void> | void;
}

/**
 * Registers a `beforeAll` that makes `what` with `make` (and, with `dispose`, an `afterAll` that
 * drops it); returns its getter, which throws when read before the value exists.
 */
export function sharedBeforeAll<T>(
  what: string,
  make: () => Promise<T>,
  options: SharedOptions<T> = {},
): () => T {
  let value: { readonly made: T } | undefined;
  beforeAll(async () => {
    value = { made: await make() };
  }, options.timeoutMs);
  const { dispose } = options;
  if (dispose !== undefined) {
    afterAll(async () => {
      if (value !== undefined) await dispose(value.made);
    });
  }
  return () => {
    if (value === undefined)
      throw new Error(`${what} is made before the file's tests: read it in them`);
    return value.made;
  };
}

/** A test file's scratch directory; `path` exists from the file's first hook on. */
export interface ScratchDir {
  readonly path: string;
}

/** A scratch directory (named from `prefix`) made before a test file's tests, removed after. */
export function scratchDir(prefix: string): ScratchDir {
  const path = sharedBeforeAll(
    `${prefix}: the scratch directory`,
    () => mkdtemp(join(tmpdir(), prefix)),
    {
      dispose: (dir) => rm(dir, { recursive: true, force: true }),
    },
  );
  return {
    get path() {
      return path();
    },
  };
}
