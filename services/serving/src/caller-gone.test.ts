import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { callerGone } from "./caller-gone.js";

const app = Fastify();
afterEach(() => app.close());

describe("callerGone", () => {
  it("stays quiet for an answered request and aborts when the caller hangs up first", async () => {
    const signals: AbortSignal[] = [];
    let answer: () => void = () => undefined;
    app.post("/slow", async (request, reply) => {
      signals.push(callerGone(reply));
      if ((request.body as { wait: boolean }).wait) await new Promise<void>((r) => (answer = r));
      return { ok: true };
    });
    const url = `http://127.0.0.1:${await listenPort()}/slow`;
    const post = (wait: boolean, signal?: AbortSignal) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ wait }),
        signal,
      });

    expect((await post(false)).status).toBe(200);
    const hangUp = new AbortController();
    const pending = post(true, hangUp.signal).catch(() => "hung up");
    while (signals.length < 2) await new Promise((r) => setTimeout(r, 5));
    hangUp.abort();
    expect(await pending).toBe("hung up");
    await new Promise((resolve) => signals[1]!.addEventListener("abort", resolve));
    answer();
    // The body had been read long before: only the caller's leaving aborts, not the stream's end.
    expect(signals.map((s) => s.aborted)).toEqual([false, true]);
  });
});

async function listenPort(): Promise<number> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("not listening");
  return address.port;
}
