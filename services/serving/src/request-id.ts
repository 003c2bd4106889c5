/**
 * Request ids as UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.
 * They are as unique as version 4 ids, and time-ordered, which is what the prediction log needs:
 * the store keys records by request id, and random keys scatter every batch over the whole
 * B-tree (a dirty page per record; 27-43 us a record, growing with the table), where
 * time-ordered keys land at its right edge (6-8 us, flat).
 *
 * A prediction's id is always one of these, made here: a client's `x-request-id` only correlates
 * (app.ts), so two requests sent with one header are two predictions, never one log row.
 *
 * One id is made per request, so the random bits come from a pool refilled 256 ids at a time
 * (one call into the CSPRNG instead of one per request), and the text is built by concatenation.
 */

import { randomFillSync } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { REQUEST_LOG } from "@mlops/contracts";
import type { FastifyBaseLogger } from "fastify";
import { bindLog } from "./request-logger.js";

/** Random bytes per id: bytes 6-15 of the UUID (the version and variant bits are overwritten). */
const RANDOM_BYTES = 10;
const pool = new Uint8Array(256 * RANDOM_BYTES);
let used = pool.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A new UUIDv7, e.g. `019ab3c5-7e21-7c4a-9f0e-5d2b8a61c3f4`, for `now` (epoch ms). */
export function uuidv7(now = Date.now()): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const r = used;
  used += RANDOM_BYTES;
  const ms = now.toString(16).padStart(12, "0");
  return (
    `${ms.slice(0, 8)}-${ms.slice(8)}-` +
    HEX[(pool[r]! & 0x0f) | 0x70]! + // version 7
    HEX[pool[r + 1]!]! +
    "-" +
    HEX[(pool[r + 2]! & 0x3f) | 0x80]! + // variant 10
    HEX[pool[r + 3]!]! +
    "-" +
    HEX[pool[r + 4]!]! +
    HEX[pool[r + 5]!]! +
    HEX[pool[r + 6]!]! +
    HEX[pool[r + 7]!]! +
    HEX[pool[r + 8]!]! +
    HEX[pool[r + 9]!]!
  );
}

/**
 * The id of the prediction a request serves, which the log keys it by and `/feedback` names: the
 * request's own id when the server made it (no valid `x-request-id`: one id for both, as before),
 * else a new UUIDv7, since the client's id is a correlation id that any number of requests may
 * share. The request's log lines carry it from now on (`REQUEST_LOG.fields.predictionId`), so its
 * `served` line joins both the stored prediction and the client's trace.
 */
export function predictionId(request: {
  readonly id: string;
  readonly headers: IncomingHttpHeaders;
  readonly log: FastifyBaseLogger;
}): string {
  const id = request.headers["x-request-id"] === request.id ? uuidv7() : request.id;
  bindLog(request.log, { [REQUEST_LOG.fields.predictionId]: id });
  return id;
}
