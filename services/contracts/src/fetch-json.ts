/**
 * One JSON call over fetch, its answer read by a zod schema. Each way it can go wrong is a typed
 * failure rather than a message, so each caller words it its own way: no answer within the
 * timeout (which covers the body to its last byte), no connection, an answer cut off mid-body,
 * an unexpected status, a body over the size cap, a body that is not JSON, or one that breaks the
 * schema.
 */
import type { ZodError, ZodType, z } from "zod";
import { type FetchFailure, fetchFailure } from "./fetch-failure.js";

/** The most characters of an answer's body a failure carries; callers quote fewer. */
export const BODY_EXCERPT_CHARS = 1000;

/**
 * The most bytes of an answer's body a call reads (4 MiB), unless it names its own cap: past it
 * the call fails rather than hold whatever a misbehaving server streams. The services' answers
 * are a few kB.
 */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** `bytes` for a message: in MiB when it is a whole number of them ("4 MiB"), else in bytes. */
export function bytesText(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** A JSON media type: `application/json` or a `+json` one (`application/problem+json`). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

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
  /** The most bytes of the body read. Default: MAX_ANSWER_BYTES. */
  readonly maxBodyBytes?: number;
  /**
   * The answer must also say it is JSON: an answer of the status asked whose content-type is not
   * a JSON one fails as not JSON, whatever its body. Default: only the body is judged.
   */
  readonly jsonContentType?: boolean;
}

/** Why a call brought back no answer its caller can use. */
export type FetchJsonFailure =
  | FetchFailure
  | {
      /** The answer began (its status came) and the connection was lost before its last byte. */
      readonly kind: "cut-off";
      readonly status: number;
      /** The network's reason, as fetch gives it (e.g. "other side closed"). */
      readonly message: string;
    }
  | {
      /** An answer of the status asked whose body is over the cap (its excess is not read). */
      readonly kind: "too-large";
      readonly status: number;
      readonly maxBytes: number;
    }
  | {
      readonly kind: "status";
      readonly status: number;
      /** The body's first BODY_EXCERPT_CHARS characters. */
      readonly body: string;
      /** The whole body read as JSON (an API's error object); undefined when it is not JSON. */
      readonly json: unknown;
    }
  /** A body that is not JSON, or (with `jsonContentType`) one whose content-type is not JSON's. */
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
  const maxBytes = call.maxBodyBytes ?? MAX_ANSWER_BYTES;
  let res: Response | undefined;
  let read: BodyText;
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
    read = await readBody(res, maxBytes);
  } catch (error) {
    const failure = fetchFailure(error);
    if (failure === null || call.signal?.aborted) throw error;
    // Once the status came the server was reached: a connection lost now cut its answer off.
    if (res !== undefined && failure.kind === "unreachable") {
      return {
        ok: false,
        failure: { kind: "cut-off", status: res.status, message: failure.message },
      };
    }
    return { ok: false, failure };
  }
  const { text } = read;
  const status = res.status;
  const body = text.slice(0, BODY_EXCERPT_CHARS);
  const empty = text === "" && call.emptyBody !== undefined;
  let json: unknown;
  let isJson = true;
  try {
    json = empty ? call.emptyBody : JSON.parse(text);
  } catch {
    isJson = false;
  }
  const expected = call.status === undefined ? res.ok : status === call.status;
  if (!expected) return { ok: false, failure: { kind: "status", status, body, json } };
  if (!read.whole) return { ok: false, failure: { kind: "too-large", status, maxBytes } };
  const typed =
    !call.jsonContentType || empty || JSON_MEDIA_TYPE.test(res.headers.get("content-type") ?? "");
  if (!isJson || !typed) return { ok: false, failure: { kind: "not-json", status, body } };
  const parsed = call.schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, failure: { kind: "contract", status, body, error: parsed.error } };
  }
  return { ok: true, status, data: parsed.data };
}

/** An answer's body as text: whole, or its first `maxBytes` bytes when it is longer. */
interface BodyText {
  readonly text: string;
  readonly whole: boolean;
}

/**
 * Reads `res`'s body up to `maxBytes` bytes, as UTF-8 (as `Response.text` does); past them it
 * stops reading and drops the connection, so a body of any length costs at most `maxBytes`.
 */
async function readBody(res: Response, maxBytes: number): Promise<BodyText> {
  if (res.body === null) return { text: "", whole: true };
  const decoder = new TextDecoder();
  const parts: string[] = [];
  const reader = res.body.getReader();
  let left = maxBytes;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      parts.push(decoder.decode());
      return { text: parts.join(""), whole: true };
    }
    if (value.byteLength > left) {
      parts.push(decoder.decode(value.subarray(0, left)));
      await reader.cancel();
      return { text: parts.join(""), whole: false };
    }
    left -= value.byteLength;
    parts.push(decoder.decode(value, { stream: true }));
  }
}
