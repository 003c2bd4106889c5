import { describe, expect, it } from "vitest";
import { clusterRateLimitStore, RateWindows, rateLimitRequest } from "./rate-windows.js";

describe("RateWindows", () => {
  it("counts a client's requests in a window that opens on its first and lasts windowMs", () => {
    const windows = new RateWindows();
    const hit = (key: string, now: number) => windows.hit({ key, windowMs: 60_000 }, now);
    expect(hit("a", 1000)).toEqual({ current: 1, ttl: 60_000 });
    expect(hit("a", 31_000)).toEqual({ current: 2, ttl: 30_000 });
    expect(hit("b", 31_000)).toEqual({ current: 1, ttl: 60_000 });
    // The window has ended: a new one opens.
    expect(hit("a", 61_000)).toEqual({ current: 1, ttl: 60_000 });
  });

  it("forgets ended windows once it holds many, so a stream of clients cannot grow it forever", () => {
    const windows = new RateWindows();
    for (let i = 0; i < 10_000; i++) windows.hit({ key: `client-${i}`, windowMs: 1000 }, 0);
    expect(windows.size).toBe(10_000);
    windows.hit({ key: "late", windowMs: 1000 }, 5000);
    expect(windows.size).toBe(1);
  });

  it("takes only well-formed count requests from another process", () => {
    expect(rateLimitRequest({ key: "ip", windowMs: 60_000 })).toEqual({
      key: "ip",
      windowMs: 60_000,
    });
    expect(() => rateLimitRequest({ key: "ip", windowMs: -1 })).toThrow();
    expect(() => rateLimitRequest("ip")).toThrow();
  });
});

describe("clusterRateLimitStore", () => {
  it("counts through `hit`, every store of the machine in the same windows, routes apart", async () => {
    const windows = new RateWindows();
    const Store = clusterRateLimitStore(async (key, windowMs) => windows.hit({ key, windowMs }, 0));
    // Two workers' stores, as @fastify/rate-limit creates them.
    const [a, b] = [new Store({}), new Store({})];
    const incr = (store: InstanceType<typeof Store>, key: string) =>
      new Promise((resolve, reject) =>
        store.incr(key, (error, result) => (error ? reject(error) : resolve(result)), 60_000, 10),
      );
    expect(await incr(a, "203.0.113.9")).toEqual({ current: 1, ttl: 60_000 });
    expect(await incr(b, "203.0.113.9")).toEqual({ current: 2, ttl: 60_000 });
    const route = a.child({ method: "POST", url: "/predict" } as never);
    expect(await incr(route, "203.0.113.9")).toEqual({ current: 1, ttl: 60_000 });
  });

  it("hands a failed count to the plugin as an error", async () => {
    const Store = clusterRateLimitStore(() => Promise.reject(new Error("primary gone")));
    const store = new Store({});
    await expect(
      new Promise((resolve, reject) =>
        store.incr("k", (error, result) => (error ? reject(error) : resolve(result)), 1000, 1),
      ),
    ).rejects.toThrow("primary gone");
  });
});
