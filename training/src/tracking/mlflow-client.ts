import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { bytesText, fetchJson } from "@mlops/contracts";
import { z } from "zod";
import { TRACKING_URI_ENV } from "./tracker.js";

/** A failed MLflow REST call: its HTTP status and MLflow's `error_code`. */
export class MlflowError extends Error {
  override readonly name = "MlflowError";
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** Renew a token this long before it expires, so no request goes out with one about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * Bearer tokens for one scope from an Entra ID credential, cached until they are due for renewal
 * (the credential's `refreshAfterTimestamp`, else five minutes before expiry). Concurrent callers
 * share one pending request.
 */
export class BearerTokenSource {
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    const held = this.current;
    if (
      held &&
      this.now() < (held.refreshAfterTimestamp ?? held.expiresOnTimestamp - REFRESH_MARGIN_MS)
    ) {
      return held.token;
    }
    this.pending ??= this.credential
      .getToken(this.scope)
      .then((token) => {
        if (!token) throw new Error(`the credential returned no token for ${this.scope}`);
        this.current = token;
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return (await this.pending).token;
  }
}

type MlflowMethod = "GET" | "POST" | "DELETE";

/** How long one call may take, answer included, before it fails. */
export const MLFLOW_CALL_TIMEOUT_MS = 60_000;
/** An upload gets this much longer per byte it sends (1 s a MB: a large model on a slow link). */
const UPLOAD_MS_PER_BYTE = 1e-3;
/**
 * The most bytes of an answer read (64 MiB): far above the services' cap, as a page of
 * `runs/search` holds up to 1000 runs with their params, tags and latest metrics, a few MB where
 * runs carry many system tags (Azure ML's do).
 */
const MLFLOW_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * MLflow's REST API (`<base>/api/2.0/mlflow/…`) with JSON bodies, errors as {@link MlflowError},
 * and, for servers behind Entra ID (Azure ML), an `Authorization: Bearer` header on every call.
 * A server that cannot be reached, or does not answer within `timeoutMs`, fails the call with an
 * error naming the server and the reason.
 */
export class MlflowRestClient {
  readonly baseUrl: string;

  /** `baseUrl` is an http(s) tracking URL, e.g. `http://127.0.0.1:5000`. */
  constructor(
    baseUrl: string,
    private readonly tokens?: BearerTokenSource,
    private readonly timeoutMs = MLFLOW_CALL_TIMEOUT_MS,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /**
   * Calls `path` and returns its answer as `answer` reads it (by default: any JSON object, for
   * calls whose answer carries nothing, which may also answer with nothing). An answer of another
   * shape (an HTML page, `{}` where a run was due, nothing where runs were due) is no MLflow
   * server's: it fails naming the server, the endpoint and the field.
   */
  call(method: MlflowMethod, path: string, body?: unknown): Promise<Record<string, unknown>>;
  call<S extends z.ZodType>(
    method: MlflowMethod,
    path: string,
    body: unknown,
    answer: S,
  ): Promise<z.infer<S>>;
  async call(
    method: MlflowMethod,
    path: string,
    body?: unknown,
    answer: z.ZodType = ANY_ANSWER,
  ): Promise<unknown> {
    return this.send(method, `mlflow/${path}`, {}, body, answer);
  }

  /**
   * Stores one file in the server's artifact store through its artifact proxy (`PUT
   * /api/2.0/mlflow-artifacts/artifacts/<path>`, served by `mlflow server` with
   * `--serve-artifacts`, the default since MLflow 2.0); `path` is relative to the store's root.
   */
  async uploadArtifact(path: string, content: Uint8Array): Promise<void> {
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    await this.send(
      "PUT",
      `mlflow-artifacts/artifacts/${encoded}`,
      { "content-type": "application/octet-stream" },
      content,
      ANY_ANSWER,
    );
  }

  /** Sends `body` (JSON, or bytes as they are) and reads the answer with `answer`. */
  private async send(
    method: MlflowMethod | "PUT",
    path: string,
    headers: Record<string, string>,
    body: unknown,
    answer: z.ZodType,
  ): Promise<unknown> {
    if (this.tokens) headers.authorization = `Bearer ${await this.tokens.token()}`;
    const endpoint = `${method} ${path.replace(/^mlflow\//, "").split("?")[0]}`;
    const what = `MLflow ${endpoint}`;
    const sent = body instanceof Uint8Array ? body.length : 0;
    const timeoutMs = Math.round(this.timeoutMs + sent * UPLOAD_MS_PER_BYTE);
    const result = await fetchJson({
      url: `${this.baseUrl}/api/2.0/${path}`,
      method,
      headers,
      body,
      schema: answer,
      timeoutMs,
      // Calls whose answer carries nothing may answer with nothing; any other empty answer would
      // read as one holding nothing (no runs) rather than as the failure it is.
      emptyBody: answer === ANY_ANSWER ? {} : undefined,
      maxBodyBytes: MLFLOW_MAX_ANSWER_BYTES,
    });
    if (result.ok) return result.data;
    const { failure } = result;
    switch (failure.kind) {
      case "timeout":
      case "unreachable": {
        const reason =
          failure.kind === "timeout"
            ? `it did not answer within ${timeoutMs / 1000} s`
            : failure.message;
        throw new Error(
          `${what}: cannot reach the tracking server ${this.baseUrl} (${TRACKING_URI_ENV}): ${reason}`,
        );
      }
      case "cut-off":
        throw new Error(
          `${what}: the tracking server ${this.baseUrl} (${TRACKING_URI_ENV}) answered HTTP ${failure.status}, and the answer was cut off mid-body: ${failure.message}`,
        );
      case "too-large":
        throw new Error(
          `the tracking server at ${this.baseUrl} (${TRACKING_URI_ENV}) answered ${endpoint} with HTTP ${failure.status} and a body over the ${bytesText(failure.maxBytes)} cap`,
        );
      case "status": {
        // MLflow's error object; a proxy's or gateway's error page is quoted as it is.
        const error = ErrorAnswerSchema.safeParse(failure.json).data ?? {};
        const code = error.error_code ?? `HTTP_${failure.status}`;
        throw new MlflowError(
          failure.status,
          code,
          `${what}: ${code}: ${error.message ?? failure.body}`,
        );
      }
      case "not-json":
      case "contract": {
        const issue = failure.kind === "contract" ? failure.error.issues[0] : undefined;
        const fault = issue
          ? `${issue.path.join(".") || "body"}: ${issue.message}`
          : `body: ${failure.body === "" ? "is empty" : "is not JSON"}`;
        throw new Error(
          `the tracking server at ${this.baseUrl} (${TRACKING_URI_ENV}) answered ${endpoint} with HTTP ${failure.status} ${JSON.stringify(excerpt(failure.body))}: not an MLflow response (${fault})`,
        );
      }
    }
  }
}

/** The answer of a call whose answer carries nothing MLflow-specific: any JSON object. */
const ANY_ANSWER = z.looseObject({});

/** What MLflow puts in a failed call's answer (REST API, "Error Codes"). */
const ErrorAnswerSchema = z.looseObject({
  error_code: z.string().optional(),
  message: z.string().optional(),
});

/** The start of an answer, enough to tell an HTML page or a proxy's text from JSON. */
const excerpt = (text: string): string => (text.length > 80 ? `${text.slice(0, 80)}…` : text);
