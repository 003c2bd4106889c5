import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_ANSWER_BYTES, type PredictResponse, PredictResponseSchema } from "@mlops/contracts";
import { freePort } from "@mlops/contracts/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExperimentsInputError } from "./errors.js";
import { simulateTraffic, TrafficError } from "./traffic-simulator.js";

/** A valid `/predict` answer (the champion's). */
const PREDICTION: PredictResponse = PredictResponseSchema.parse({
  request_id: "r-1",
  prediction: "a",
  probability: 0.6,
  probabilities: { a: 0.6, b: 0.4 },
  variant: "champion",
  model: { name: "iris", version: 1 },
  model_version: "1",
  experiment_id: "exp",
});

/**
 * A loopback server whose first path segment says how it answers: `/api/…` as the API does,
 * `/shape/…` a body of the wrong shape, `/text/…` a body that is not JSON, `/gone/…` 404 with
 * a text, `/cut/…` the start of an answer and then a dropped connection, `/huge/…` a valid answer
 * padded past the answer cap, and `/hang/…` never.
 * Every request's path is recorded.
 */
let server: Server;
let origin: string;
const paths: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "";
    paths.push(path);
    const json = (body: unknown) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (path === "/api/predict") json(PREDICTION);
    else if (path === "/api/feedback") json({ request_id: "r-1", duplicate: false });
    else if (path === "/shape/predict") json({ ...PREDICTION, variant: 7, probability: 2 });
    else if (path === "/text/predict") res.writeHead(200).end("<html>gateway</html>");
    else if (path === "/cut/predict") {
      res.writeHead(200, { "content-type": "application/json" }).write('{"request_id":');
      setTimeout(() => res.destroy(), 20);
    } else if (path === "/huge/predict") json({ ...PREDICTION, pad: "x".repeat(MAX_ANSWER_BYTES) });
    else if (path.startsWith("/gone/")) res.writeHead(404).end("not here");
    else if (!path.startsWith("/hang/")) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});

describe("simulateTraffic", () => {
  it("refuses a deadline Node's timers cannot keep, before sending anything", async () => {
    // Nothing listens at this URL: a request sent would fail with another error.
    const url = "http://127.0.0.1:1";
    for (const timeoutMs of [0, -5, 3e9]) {
      const refused = simulateTraffic({ url, effect: 0.1, timeoutMs });
      await expect(refused).rejects.toThrow(ExperimentsInputError);
      await expect(refused).rejects.toThrow(/^timeoutMs: must be/);
    }
    await expect(simulateTraffic({ url, effect: 0.1, timeoutMs: 3e9 })).rejects.toThrow(
      "timeoutMs: must be at most 2147483647 ms (about 24.8 days), got 3000000000",
    );
    await expect(simulateTraffic({ url, effect: 0.1, requestTimeoutMs: 0 })).rejects.toThrow(
      /^requestTimeoutMs: must be/,
    );
  });

  it("refuses a base URL that is not one, naming the rule", async () => {
    for (const [url, rule] of [
      ["ftp://127.0.0.1/", "url: must be http or https (got ftp:)"],
      [
        `${origin}/api?v=1`,
        "url: must not have a query or fragment (?… or #…): routes are appended to its path",
      ],
    ]) {
      const refused = simulateTraffic({ url: url!, effect: 0.1 });
      await expect(refused).rejects.toThrow(ExperimentsInputError);
      await expect(refused).rejects.toThrow(rule!);
    }
  });

  it("posts under the base URL's path, with or without its trailing slash", async () => {
    for (const url of [`${origin}/api`, `${origin}/api/`]) {
      paths.length = 0;
      const summary = await simulateTraffic({ url, effect: 0.1, requests: 2, concurrency: 1 });
      expect(summary).toMatchObject({ completed: 2, failed: 0, unanswered: 0, firstError: null });
      expect(paths).toEqual(["/api/predict", "/api/feedback", "/api/predict", "/api/feedback"]);
    }
  });

  it("names the field and the rule an answer of the wrong shape breaks", async () => {
    const summary = await simulateTraffic({ url: `${origin}/shape`, effect: 0.1, requests: 3 });
    expect(summary).toMatchObject({ completed: 0, failed: 3, unanswered: 0 });
    expect(summary.firstError).toBe(
      "the answer to POST /shape/predict is invalid: probability: Too big: expected number to be <=1; " +
        'variant: Invalid option: expected one of "champion"|"challenger"',
    );
  });

  it("says an answer that is not JSON is not, quoting its start", async () => {
    const summary = await simulateTraffic({ url: `${origin}/text`, effect: 0.1, requests: 1 });
    expect(summary.firstError).toBe(
      "POST /text/predict answered 200 with a body that is not JSON: <html>gateway</html>",
    );
  });

  it("counts an answer cut off mid-body as a failed request: the API was reached", async () => {
    const summary = await simulateTraffic({ url: `${origin}/cut`, effect: 0.1, requests: 2 });
    expect(summary).toMatchObject({ completed: 0, failed: 2, unanswered: 0 });
    expect(summary.firstError).toBe(
      "POST /cut/predict answered 200, and the answer was cut off mid-body: other side closed",
    );
  });

  it("reads no answer past the cap, naming it", async () => {
    const summary = await simulateTraffic({ url: `${origin}/huge`, effect: 0.1, requests: 1 });
    expect(summary).toMatchObject({ completed: 0, failed: 1 });
    expect(summary.firstError).toBe(
      "POST /huge/predict answered 200 with a body over the 4 MiB cap",
    );
  });

  it("quotes an error status and its body, and counts the request as failed", async () => {
    const summary = await simulateTraffic({ url: `${origin}/gone`, effect: 0.1, requests: 2 });
    expect(summary).toMatchObject({ completed: 0, failed: 2, unanswered: 0 });
    expect(summary.firstError).toBe("POST /gone/predict answered 404: not here");
  });

  it("stops at the first request that finds nothing listening, naming the cause", async () => {
    const port = await freePort();
    const refused = simulateTraffic({ url: `http://127.0.0.1:${port}`, effect: 0.1, requests: 5 });
    await expect(refused).rejects.toThrow(TrafficError);
    await expect(refused).rejects.toThrow(
      `could not reach http://127.0.0.1:${port}/: ECONNREFUSED`,
    );
  });

  it("fails a request that waits past requestTimeoutMs, saying how long it waited", async () => {
    const summary = await simulateTraffic({
      url: `${origin}/hang`,
      effect: 0.1,
      requests: 3,
      requestTimeoutMs: 100,
    });
    expect(summary).toMatchObject({
      completed: 0,
      failed: 3,
      unanswered: 0,
      firstError: "POST /hang/predict: no answer within 100 ms",
      timedOut: false,
    });
  });

  it("counts the requests the time bound cut off as sent but unanswered", async () => {
    const summary = await simulateTraffic({
      url: `${origin}/hang`,
      effect: 0.1,
      requests: 10,
      concurrency: 4,
      timeoutMs: 150,
    });
    expect(summary).toMatchObject({
      completed: 0,
      failed: 0,
      unanswered: 4,
      firstError: null,
      timedOut: true,
    });
  });
});
