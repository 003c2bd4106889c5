/**
 * One JSON call over fetch, its answer read by a zod schema. Each way it can go wrong is a typed
 * failure rather than a message, so each caller words it its own way: no answer within the
 * timeout (which covers the body to its last byte), no connection, an unexpected status, a body
 * that is not JSON, or one that breaks the schema.
 */
import type { ZodError, ZodType, z } from "zod";
import { type FetchFailure, fetchFailure } from "./fetch-failure.js";

/** The most characters of an answer's body a failure carries; callers quote fewer. */
export const BODY_EXCERPT_CHARS = 1000;

/** One call: where, what to send, what the answer must be, and how long it may take. */
export interface FetchJsonCall<S extends ZodType> {
  readonly url: string | URL;
  /** Default: POST with a body, else GET. */
  readonly method?: string;
  /** Sent after `accept: application/json` (and the body's content-type), so they may replace them. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON with its content-type; bytes are sent as they are (name their content-type). */
  readonly body?: unknown;
  /** What the answer's body must be. */
  readonly schema: S;
  /** The status the answer must have. Default: any 2xx. */
  readonly status?: number;
  /** Longest wait for the whole answer, body included. */
  readonly timeoutMs: number;
  /**
   * The caller's own end (a run's deadline): a call it ends throws fetch's error as is, since the
   * caller stopped it rather than the server failing it.
   */
  readonly signal?: AbortSignal;
  /** What an empty body reads as. Default: an empty body is not JSON. */
  readonly emptyBody?: unknown;
}

/** Why a call brought back no answer its caller can use. */
export type FetchJsonFailure =
  | FetchFailure
  | {
      readonly kind: "status";
      readonly status: number;
      /** The body's first BODY_EXCERPT_CHARS characters. */
      readonly body: string;
      /** The whole body read as JSON (an API's error object); undefined when it is not JSON. */
      readonly json: unknown;
    }
  | { readonly kind: "not-json"; readonly status: number; readonly body: string }
  | {
      readonly kind: "contract";
      readonly status: number;
      readonly body: string;
      /** Every broken rule, each with its field path and message, in zod's order. */
      readonly error: ZodError;
    };

export type FetchJsonResult<T> =
  | { readonly ok: true; readonly status: number; readonly data: T }
  | { readonly ok: false; readonly failure: FetchJsonFailure };

/**
 * Makes `call` and reads its answer. Every failure of the server or the network comes back as a
 * result; what is thrown is fetch's own error when `call.signal` ended the call, or an error that
 * is not fetch's (a caller's bug).
 */
export async function fetchJson<S extends ZodType>(
  call: FetchJsonCall<S>,
): Promise<FetchJsonResult<z.output<S>>> {
  const bytes = call.body instanceof Uint8Array;
  // Bytes go as they are (fetch's types name only the views of an ArrayBuffer).
  const payload = bytes
    ? (call.body as Uint8Array<ArrayBuffer>)
    : call.body === undefined
      ? undefined
      : JSON.stringify(call.body);
  const timeout = AbortSignal.timeout(call.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(call.url, {
      method: call.method ?? (call.body === undefined ? "GET" : "POST"),
      headers: {
        accept: "application/json",
        ...(call.body === undefined || bytes ? {} : { "content-type": "application/json" }),
        ...call.headers,
      },
      body: payload,
      signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
    });
    text = await res.text();
  } catch (error) {
    const failure = fetchFailure(error);
    if (failure === null || call.signal?.aborted) throw error;
    return { ok: false, failure };
  }
  const status = res.status;
  const body = text.slice(0, BODY_EXCERPT_CHARS);
  let json: unknown;
  let isJson = true;
  try {
    json = text === "" && call.emptyBody !== undefined ? call.emptyBody : JSON.parse(text);
  } catch {
    isJson = false;
  }
  const expected = call.status === undefined ? res.ok : status === call.status;
  if (!expected) return { ok: false, failure: { kind: "status", status, body, json } };
  if (!isJson) return { ok: false, failure: { kind: "not-json", status, body } };
  const read = call.schema.safeParse(json);
  if (!read.success) {
    return { ok: false, failure: { kind: "contract", status, body, error: read.error } };
  }
  return { ok: true, status, data: read.data };
}
