/**
 * An in-process Cosmos DB protocol server (`@vercel/cosmosdb-server`) on a loopback port, for
 * tests and the benchmark. `throttle` makes it answer 429 with a retry hint to matching requests,
 * as a throttled account would, before passing later ones through.
 */
import { createServer, type IncomingMessage, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { createHttpServer } from "@vercel/cosmosdb-server";

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
