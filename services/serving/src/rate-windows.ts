/**
 * Fixed-window request counts per client, as @fastify/rate-limit's own in-process store keeps
 * them (a window opens on a client's first request and lasts `windowMs`), held in one place for
 * a whole machine: the cluster primary counts its own requests and answers every worker's
 * (cluster.ts), through the rate-limit store every process of the machine uses
 * (`ClusterRateLimitStore`).
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { z } from "zod";

/** A store class @fastify/rate-limit instantiates. */
export type RateLimitStoreCtor = FastifyRateLimitStoreCtor;

/** One client's count in its current window and the time the window has left (ms). */
export interface RateLimitCount {
  readonly current: number;
  readonly ttl: number;
}

/** What a worker asks the primary to count. */
const RateLimitRequestSchema = z.object({
  key: z.string().max(1024),
  windowMs: z.number().int().positive(),
});

/** A worker's count request, checked (IPC carries whatever a process sends). */
export function rateLimitRequest(payload: unknown): z.infer<typeof RateLimitRequestSchema> {
  return RateLimitRequestSchema.parse(payload);
}

/** Windows beyond which expired ones are swept on the next count. */
const SWEEP_AT = 10_000;

export class RateWindows {
  private readonly windows = new Map<string, { count: number; start: number }>();

  /** Counts one request of `key` at `now` and returns its window's count so far. */
  hit({ key, windowMs }: { key: string; windowMs: number }, now: number): RateLimitCount {
    if (this.windows.size >= SWEEP_AT) this.sweep(windowMs, now);
    let w = this.windows.get(key);
    if (w === undefined || w.start + windowMs <= now) {
      w = { count: 0, start: now };
      this.windows.set(key, w);
    }
    w.count += 1;
    return { current: w.count, ttl: w.start + windowMs - now };
  }

  /** Forgets every window that has ended. */
  private sweep(windowMs: number, now: number): void {
    for (const [key, w] of this.windows) if (w.start + windowMs <= now) this.windows.delete(key);
  }

  /** Windows held. */
  get size(): number {
    return this.windows.size;
  }
}

/**
 * The rate-limit store of a machine's serving processes: each count goes to the primary's windows
 * (`hit`), so the limit is the machine's. A route-level store counts apart, under its route's prefix.
 */
export function clusterRateLimitStore(
  hit: (key: string, windowMs: number) => Promise<RateLimitCount>,
): RateLimitStoreCtor {
  return class ClusterRateLimitStore implements FastifyRateLimitStore {
    /** `options` is what the plugin passes every store; this one needs none of it. */
    constructor(
      _options?: unknown,
      private readonly prefix = "",
    ) {}

    incr(
      key: string,
      callback: (error: Error | null, result?: RateLimitCount) => void,
      timeWindow: number,
    ): void {
      hit(`${this.prefix}${key}`, timeWindow).then(
        (count) => callback(null, count),
        (error: Error) => callback(error),
      );
    }

    child(route: { method: unknown; url: string }): FastifyRateLimitStore {
      return new ClusterRateLimitStore(undefined, `${String(route.method)}:${route.url}:`);
    }
  };
}
