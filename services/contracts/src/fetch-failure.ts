/**
 * Why a `fetch` call failed, read from what it threw: Node's fetch reports every network failure
 * as `TypeError: fetch failed`, with the reason (a system error such as ECONNREFUSED, or fetch's
 * own refusal such as "bad port") as its `cause`; a deadline from `AbortSignal.timeout` ends it
 * with a `TimeoutError`. Each caller words the reason its own way.
 */

/** What ended a request before an answer came. */
export type FetchFailure =
  | { readonly kind: "timeout" }
  | {
      readonly kind: "unreachable";
      /** The system error's code (ECONNREFUSED, ENOTFOUND, …), null when the cause has none. */
      readonly code: string | null;
      /** The cause's message, or fetch's own when it gives no cause. */
      readonly message: string;
    };

/** The failure `error` reports, or null when it is not one of fetch's (e.g. a caller's bug). */
export function fetchFailure(error: unknown): FetchFailure | null {
  if (error instanceof Error && error.name === "TimeoutError") return { kind: "timeout" };
  if (!(error instanceof TypeError)) return null;
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return {
    kind: "unreachable",
    code: typeof code === "string" ? code : null,
    message: cause instanceof Error ? cause.message : error.message,
  };
}
