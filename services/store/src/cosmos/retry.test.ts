import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isTransient, type RetryPolicy, retryAfterOf, retryDelayMs, withRetry } from "./retry.js";

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };
const throttled = (retryAfterInMs?: number) =>
  Object.assign(new Error("429"), {
    code: 429,
    ...(retryAfterInMs === undefined ? {} : { retryAfterInMs }),
  });

describe("retry policy", () => {
  it("retries only 408, 429 and 503", () => {
    expect([408, 429, 503].map((code) => isTransient({ code }))).toEqual([true, true, true]);
    expect([400, 404, 409, 412, 500].map((code) => isTransient({ code }))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isTransient(new Error("ECONNREFUSED"))).toBe(false);
  });

  it("reads the hint from the SDK field or the raw header", () => {
    expect(retryAfterOf({ retryAfterInMs: 250 })).toBe(250);
    expect(retryAfterOf({ headers: { "x-ms-retry-after-ms": "120" } })).toBe(120);
    expect(retryAfterOf({ headers: { "x-ms-retry-after-ms": "soon" } })).toBeUndefined();
    expect(retryAfterOf({})).toBeUndefined();
  });

  it("waits what the server says, capped, else a jittered doubling ceiling", () => {
    expect(retryDelayMs(policy, 1, 300)).toBe(300);
    expect(retryDelayMs(policy, 1, 60_000)).toBe(1000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const delay = retryDelayMs(policy, attempt, undefined, () => r);
          const ceiling = Math.min(100 * 2 ** (attempt - 1), 1000);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it("sleeps the hinted delays and returns once the operation succeeds", async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw throttled(calls * 10);
        return "ok";
      },
      policy,
      { sleep: async (ms) => void slept.push(ms) },
    );
    expect(result).toBe("ok");
    expect(slept).toEqual([10, 20]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw throttled();
      },
      policy,
      { sleep: async () => {}, random: () => 0 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect((error as { code: number }).code).toBe(429);
  });

  it("does not retry permanent errors or past the deadline", async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw Object.assign(new Error("conflict"), { code: 409 });
      }, policy),
    ).rejects.toThrow("conflict");
    expect(calls).toBe(1);
    const aborted = AbortSignal.abort();
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw throttled(1);
        },
        policy,
        { signal: aborted },
      ),
    ).rejects.toThrow("429");
    expect(calls).toBe(1);
  });
});
