/**
 * An in-process Cosmos DB protocol server (`@vercel/cosmosdb-server`) on a loopback port, for
 * tests and the benchmark. `throttle` makes it answer 429 with a retry hint to matching requests,
 * as a throttled account would, before passing later ones through.
 */
import { createServer, type IncomingMessage, type RequestListener } from "node:http";
import { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { createHttpServer, createHttpsServer } from "@vercel/cosmosdb-server";

/** A running emulator. */
export interface Emulator {
  readonly endpoint: string;
  /** Answer the next `times` requests matching `match` with 429 and `x-ms-retry-after-ms`. */
  throttle(match: (req: IncomingMessage) => boolean, times: number, retryAfterMs: number): void;
  /** Requests answered with 429 so far. */
  throttled(): number;
  close(): Promise<void>;
}

/** Start an emulator on 127.0.0.1 (an ephemeral port). */
export async function startEmulator(): Promise<Emulator> {
  // The inner server only sets up its account once listening; the outer one (the endpoint) passes
  // requests to its handler in-process, so the throttling rule sees every request first.
  const inner = createHttpServer({ keepAlive: true });
  await new Promise<void>((resolve) => inner.listen(0, "127.0.0.1", resolve));
  const handler = inner.listeners("request")[0] as RequestListener;
  let rule: {
    match: (req: IncomingMessage) => boolean;
    left: number;
    retryAfterMs: number;
  } | null = null;
  let throttledCount = 0;
  const server = createServer((req, res) => {
    if (rule !== null && rule.left > 0 && rule.match(req)) {
      rule.left--;
      throttledCount++;
      req.resume();
      res.writeHead(429, {
        "content-type": "application/json",
        "x-ms-retry-after-ms": String(rule.retryAfterMs),
        "x-ms-substatus": "3200",
      });
      res.end(JSON.stringify({ code: "TooManyRequests", message: "Request rate is large" }));
      return;
    }
    handler.call(inner, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttle(match, times, retryAfterMs) {
      rule = { match, left: times, retryAfterMs };
    },
    throttled: () => throttledCount,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => inner.close(() => resolve()));
      }),
  };
}

/** A request as the HTTPS emulator received it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  /** The `authorization` header, as sent ("" when none). */
  readonly authorization: string;
}

/**
 * The emulator over HTTPS (the package's own self-signed certificate), where the SDK sends Entra
 * ID tokens: it refuses to over plain http. `agent` trusts that certificate (loopback only).
 */
export interface HttpsEmulator {
  /** `https://127.0.0.1:<port>/`: also the endpoint the account advertises, so discovery works. */
  readonly endpoint: string;
  readonly agent: Agent;
  /** Every request received, in order. */
  readonly requests: readonly SeenRequest[];
  close(): Promise<void>;
}

/** Start the HTTPS emulator on 127.0.0.1 (an ephemeral port). */
export async function startHttpsEmulator(): Promise<HttpsEmulator> {
  const server = createHttpsServer({ keepAlive: true });
  const requests: SeenRequest[] = [];
  server.prependListener("request", (req: IncomingMessage) => {
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      authorization: String(req.headers.authorization ?? ""),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, rejectUnauthorized: false });
  return {
    endpoint: `https://127.0.0.1:${port}/`,
    agent,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
