import { describe, expect, it } from "vitest";
import { Cached } from "./cache.js";

/** A computation the test answers by hand, on a clock the test moves. */
function harness(ttlMs = 100) {
  let clock = 0;
  const calls: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
  const cached = new Cached(
    ttlMs,
    () =>
      new Promise<number>((resolve, reject) => {
        calls.push({ resolve, reject });
      }),
    () => clock,
  );
  return {
    cached,
    calls,
    advance(ms: number) {
      clock += ms;
    },
    /** Answers computation `k` with `outcome` and lets the cache take it in. */
    async answer(k: number, outcome: number | Error) {
      if (outcome instanceof Error) calls[k]!.reject(outcome);
      else calls[k]!.resolve(outcome);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe("Cached.get", () => {
  it("shares one computation between readers and reuses its value for the TTL", async () => {
    const h = harness();
    const first = [h.cached.get(), h.cached.get()];
    expect(h.calls).toHaveLength(1);
    h.calls[0]!.resolve(7);
    expect(await Promise.all(first)).toEqual([7, 7]);
    h.advance(99);
    expect(await h.cached.get()).toBe(7);
    expect(h.calls).toHaveLength(1);
    h.advance(1);
    const next = h.cached.get();
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.resolve(8);
    expect(await next).toBe(8);
  });

  it("counts the TTL from when the value arrived, and never runs two computations at once", async () => {
    const h = harness();
    const first = h.cached.get();
    // Slower than the TTL: readers after it still share the one computation.
    h.advance(250);
    const later = h.cached.get();
    expect(h.calls).toHaveLength(1);
    h.calls[0]!.resolve(1);
    expect([await first, await later]).toEqual([1, 1]);
    h.advance(50);
    expect(await h.cached.get()).toBe(1);
    expect(h.calls).toHaveLength(1);
  });

  it("reuses a slow computation's value four times as long as it took", async () => {
    const h = harness(100);
    const first = h.cached.get();
    h.advance(250);
    await h.answer(0, 1);
    expect(await first).toBe(1);
    // Fresh for max(TTL, 4 × 250 ms) after it arrived, not for the 100 ms TTL alone.
    h.advance(999);
    expect(await h.cached.get()).toBe(1);
    expect(h.calls).toHaveLength(1);
    h.advance(1);
    const next = h.cached.get();
    expect(h.calls).toHaveLength(2);
    // A fast one is back to the TTL.
    await h.answer(1, 2);
    expect(await next).toBe(2);
    h.advance(100);
    void h.cached.get();
    expect(h.calls).toHaveLength(3);
  });

  it("does not keep a failure: the next reader computes again", async () => {
    const h = harness();
    const failed = h.cached.get();
    h.calls[0]!.reject(new Error("store down"));
    await expect(failed).rejects.toThrow("store down");
    const retry = h.cached.get();
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.resolve(3);
    expect(await retry).toBe(3);
  });
});

describe("Cached.latest", () => {
  it("answers at once: nothing before the first value, then the last one", async () => {
    const h = harness();
    expect(h.cached.latest(1000)).toBeUndefined();
    expect(h.cached.latest(1000)).toBeUndefined();
    expect(h.calls).toHaveLength(1);
    await h.answer(0, 5);
    expect(h.cached.latest(1000)).toBe(5);
    expect(h.calls).toHaveLength(1);
  });

  it("keeps answering a stale value while a new one is computed in the background", async () => {
    const h = harness();
    h.cached.latest(1000);
    await h.answer(0, 5);
    h.advance(150);
    expect(h.cached.latest(1000)).toBe(5);
    expect(h.calls).toHaveLength(2);
    expect(h.cached.latest(1000)).toBe(5);
    expect(h.calls).toHaveLength(2);
    await h.answer(1, 6);
    expect(h.cached.latest(1000)).toBe(6);
  });

  it("renews a slow computation's value by half its max age, before it expires", async () => {
    const h = harness(100);
    h.cached.latest(600);
    h.advance(250);
    await h.answer(0, 5);
    // Fresh for 1,000 ms by the slow-reuse rule, but a reader that drops it at 600 ms old
    // starts the next computation at 300.
    h.advance(299);
    expect(h.cached.latest(600)).toBe(5);
    expect(h.calls).toHaveLength(1);
    h.advance(1);
    expect(h.cached.latest(600)).toBe(5);
    expect(h.calls).toHaveLength(2);
  });

  it("gives up a value once it is max-age old, while the store keeps failing", async () => {
    const h = harness();
    h.cached.latest(1000);
    await h.answer(0, 5);
    h.advance(500);
    expect(h.cached.latest(1000)).toBe(5);
    await h.answer(1, new Error("store down"));
    h.advance(499);
    expect(h.cached.latest(1000)).toBe(5);
    await h.answer(2, new Error("store down"));
    h.advance(1);
    expect(h.cached.latest(1000)).toBeUndefined();
    expect(h.calls).toHaveLength(4);
  });
});
