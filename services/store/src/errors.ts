/**
 * Store failures callers branch on. Every error names the store it came from (`sqlite:<path>` or
 * `cosmos <endpoint>`), so an operator knows which file or account to look at.
 */

/** Base class: `store` names the store, e.g. `sqlite:/srv/.mlops/platform.db`. */
export class StoreError extends Error {
  constructor(
    readonly store: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${store}: ${message}`, options);
  }
}

/**
 * A precondition failed: an alias moved since it was read, an id already exists, a version was
 * taken concurrently. Retrying with fresh state may succeed.
 */
export class StoreConflictError extends StoreError {
  override readonly name = "StoreConflictError";
}

/** The model, version, alias, run or experiment does not exist. */
export class StoreNotFoundError extends StoreError {
  override readonly name = "StoreNotFoundError";
}

/** The store cannot be used: unreachable, locked past the timeout, corrupt, or unauthorised. */
export class StoreUnavailableError extends StoreError {
  override readonly name = "StoreUnavailableError";
}
