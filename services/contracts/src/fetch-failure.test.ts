import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchFailure } from "./fetch-failure.js";

/** A port nothing listens on: one the system gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/** What fetch(`url`) throws. */
const thrownBy = (url: string, init?: RequestInit) =>
  fetch(url, init).then(
    () => expect.fail(`${url} answered`),
    (error: unknown) => error,
  );

describe("fetchFailure", () => {
  let silent: Server;
  let silentUrl: string;
  beforeAll(async () => {
    // Accepts the connection and never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    silent.closeAllConnections();
    silent.close();
  });

  it("reads a refused connection's system error", async () => {
    const port = await closedPort();
    expect(fetchFailure(await thrownBy(`http://127.0.0.1:${port}/`))).toEqual({
      kind: "unreachable",
      code: "ECONNREFUSED",
      message: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it("reads fetch's own refusal, which has no code", async () => {
    // fetch will not connect to some well-known ports.
    expect(fetchFailure(await thrownBy("http://127.0.0.1:25/"))).toEqual({
      kind: "unreachable",
      code: null,
      message: "bad port",
    });
  });

  it("tells a deadline from a failure", async () => {
    const error = await thrownBy(silentUrl, { signal: AbortSignal.timeout(50) });
    expect(fetchFailure(error)).toEqual({ kind: "timeout" });
  });

  it("keeps fetch's message when it gives no cause, and passes over other errors", () => {
    expect(fetchFailure(new TypeError("Failed to parse URL from nowhere"))).toEqual({
      kind: "unreachable",
      code: null,
      message: "Failed to parse URL from nowhere",
    });
    expect(fetchFailure(new Error("a bug after the answer"))).toBeNull();
    expect(fetchFailure("a string")).toBeNull();
    expect(fetchFailure(undefined)).toBeNull();
  });
});
