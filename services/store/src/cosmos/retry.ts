/**
 * Retries for Cosmos DB's transient answers: 429 (request rate too large), 503 (service
 * unavailable) and 408 (request timeout). The server's `x-ms-retry-after-ms` hint wins when
 * present; otherwise exponential backoff with full jitter. Pure: the clock and the randomness are
 * injected, so the policy is testable without waiting.
 */

/** How hard to retry. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  /** First backoff ceiling; doubles each attempt. */
  readonly baseDelayMs: number;
  /** No single wait exceeds this, whatever the hint says. */
  readonly maxDelayMs: number;
}

/** Six attempts, 100 ms doubling up to 5 s: rides out a throttling burst of a few seconds. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 5000,
};

/** Status codes worth another attempt. */
const TRANSIENT = new Set([408, 429, 503]);

/** The HTTP status of a Cosmos SDK error (its `code`), if it carries one. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown; statusCode?: unknown } | null)?.code;
  if (typeof code === "number") return code;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** True for 408, 429 and 503. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && TRANSIENT.has(status);
}

/** The server's retry hint in ms: the SDK's `retryAfterInMs`, else the raw header. */
export function retryAfterOf(error: unknown): number | undefined {
  const e = error as { retryAfterInMs?: unknown; headers?: Record<string, unknown> } | null;
  if (typeof e?.retryAfterInMs === "number" && e.retryAfterInMs >= 0) return e.retryAfterInMs;
  const header = e?.headers?.["x-ms-retry-after-ms"];
  const parsed =
    typeof header === "string" || typeof header === "number" ? Number(header) : Number.NaN;
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return Math.floor(random() * ceiling);
}

/** Injected effects of `withRetry`. */
export interface RetryEffects {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Once aborted (the caller's deadline), no further attempt starts. */
  readonly signal?: AbortSignal;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Run `op`, retrying transient failures per `policy`. The last error is rethrown unchanged
 * once attempts are spent (callers name the store in their own error).
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  effects: RetryEffects = {},
): Promise<T> {
  const sleep = effects.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      if (!isTransient(error) || attempt >= policy.maxAttempts || effects.signal?.aborted)
        throw error;
      await sleep(retryDelayMs(policy, attempt, retryAfterOf(error), effects.random));
    }
  }
}
