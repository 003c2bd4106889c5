/**
 * What the edge suites share: raw HTTP requests (some of them no fetch would send), the hop the
 * public route adds, the documented refusal, and a loopback stand-in for the public route that
 * forwards an allow-list of paths only, as the Gateway's HTTPRoute does.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ErrorResponseSchema, isPublicPath, type PublicPath } from "@mlops/contracts";
import { expect } from "vitest";
import { forward, mlops } from "../workflows/support.js";

/** What a response came back as. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A body this large is held back until the server has had a moment to refuse on the headers. */
const LARGE_BODY = 64 * 1024;
/** How long a large body waits for an early answer (a refusal on the headers alone). */
const EARLY_ANSWER_MS = 250;

/**
 * One raw HTTP request to `base` on its own connection. A large body is sent only if no answer
 * came within EARLY_ANSWER_MS of the headers, as a client expecting `100-continue` would: a server
 * that refuses on the headers (a missing key, a `Content-Length` over its limit) answers and
 * closes while the body is still being written, and the reset that follows can discard its
 * answer before it is read. A connection that closes without an answer rejects (never hangs).
 */
export function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let failure: Error | undefined;
    const large = body !== undefined && Buffer.byteLength(body) > LARGE_BODY;
    // Its length declared up front, so a server can refuse an oversized body on its headers.
    const sent = large
      ? { ...headers, "content-length": String(Buffer.byteLength(body)) }
      : headers;
    const req = httpRequest(`${base}${path}`, { method, headers: sent, agent: false }, (res) => {
      answered = true;
      clearTimeout(held);
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        req.destroy();
      });
    });
    // A server may answer and close before reading a body it refused: wait for its answer.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ECONNRESET") failure = error;
      else reject(error);
    });
    req.on("close", () => {
      if (!answered) reject(failure ?? new Error(`${method} ${path}: closed without an answer`));
    });
    if (large) req.flushHeaders();
    const held = setTimeout(() => req.end(body), large ? EARLY_ANSWER_MS : 0);
  });
}

/** `send` bound to the base URL `base()` gives when called (a server started later). */
export const sendTo =
  (base: () => string) =>
  (method: string, path: string, headers?: Record<string, string>, body?: string | Buffer) =>
    send(base(), method, path, headers, body);

/** The public route's hop: what the gateway adds to every request it forwards. */
export const viaEdge = { "x-forwarded-for": "198.51.100.23", "x-forwarded-proto": "https" };

/** A JSON request's headers as they arrive through the public route. */
export const jsonHeaders = (extra: Record<string, string> = {}) => ({
  ...viaEdge,
  "content-type": "application/json",
  ...extra,
});

/** Asserts `answer` is the documented refusal: `status`, an ErrorResponse with `code`. */
export function expectRefused(answer: Answer, status: number, code: string) {
  expect(answer.status, answer.body.slice(0, 200)).toBe(status);
  const body = ErrorResponseSchema.parse(JSON.parse(answer.body));
  expect(body.error).toBe(code);
  return body;
}

/** A started stand-in for the public route. */
export interface PublicRoute {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The public route on loopback: forwards requests to the paths of `allowed`, each matched as the
 * list says (exactly, or as a prefix), with `X-Forwarded-For` as the gateway adds it, to the URL
 * `target` picks for each, and answers 404 to everything else.
 */
export async function startPublicRoute(
  allowed: readonly PublicPath[],
  target: (req: IncomingMessage) => string,
): Promise<PublicRoute> {
  const router = createServer((req, res) => {
    if (!isPublicPath(req.url ?? "/", allowed)) {
      res.writeHead(404).end();
      return;
    }
    req.headers["x-forwarded-for"] = req.socket.remoteAddress ?? "127.0.0.1";
    forward(req, res, new URL(req.url ?? "/", target(req)));
  });
  await new Promise<void>((resolve) => router.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(router.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        router.close(() => resolve());
        router.closeAllConnections();
      }),
  };
}

/**
 * Runs `mlops smoke <args> --json` with `env` and expects it to pass, having run exactly the
 * checks named in `checks`, in order.
 */
export async function expectSmokePasses(
  args: readonly string[],
  env: Record<string, string>,
  checks: readonly string[],
): Promise<void> {
  const out = await mlops(["smoke", ...args, "--json"], env);
  expect(out.code, out.stdout + out.stderr).toBe(0);
  const report = JSON.parse(out.stdout) as { checks: { name: string }[] };
  expect(report.checks.map((c) => c.name)).toEqual(checks);
}

/**
 * Writes the edge's secrets as the CSI driver mounts them: one file per name under
 * `<dir>/secrets`, which it returns (the server's `MLOPS_SECRETS_DIR`).
 */
export async function writeSecrets(dir: string, files: Record<string, string>): Promise<string> {
  const secrets = join(dir, "secrets");
  await mkdir(secrets);
  for (const [file, value] of Object.entries(files)) await writeFile(join(secrets, file), value);
  return secrets;
}
