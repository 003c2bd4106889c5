import { Random } from "@mlops/garch/random";
import { afterEach, describe, expect, it } from "vitest";
import { CallerGoneError } from "../caller-gone.js";
import { ServingError } from "../errors.js";
import { createFitter, type GarchFitter } from "./fitter.js";

/** A GARCH(1,1)-like series: volatility clusters, from a seeded generator. */
function returns(n: number, seed = 7): number[] {
  const rng = new Random(seed);
  const out: number[] = [];
  let h = 1;
  let e = 0;
  for (let t = 0; t < n; t++) {
    h = 0.05 + 0.1 * e * e + 0.85 * h;
    e = Math.sqrt(h) * rng.standardNormal();
    out.push(e);
  }
  return out;
}

let fitter: GarchFitter | undefined;
afterEach(() => fitter?.close());

describe("the GARCH fitter", () => {
  it("fits and forecasts on its thread, and says why a series cannot be fitted", async () => {
    fitter = createFitter();
    const { fit, path } = await fitter.fit({
      returns: returns(2000),
      options: { p: 1, q: 1 },
      horizon: 3,
    });
    expect(fit.converged).toBe(true);
    expect(fit.params.alpha[0]).toBeGreaterThan(0);
    expect(path.variance).toHaveLength(3);
    expect(path.volatility[0]).toBeCloseTo(Math.sqrt(path.variance[0]!), 12);
    const constant = fitter.fit({ returns: Array(200).fill(1), options: {}, horizon: 1 });
    await expect(constant).rejects.toThrow(ServingError);
    await expect(constant).rejects.toMatchObject({
      code: "GARCH_FIT_FAILED",
      message: expect.stringMatching(/returns is constant/),
    });
  });

  it("keeps the event loop free while a long fit runs", async () => {
    fitter = createFitter();
    let done = false;
    const long = fitter
      .fit({ returns: returns(40_000), options: { p: 5, q: 5 }, horizon: 1 })
      .then(() => {
        done = true;
      });
    // Timers keep firing meanwhile: on the event loop the fit would hold them up to its end.
    let ticks = 0;
    while (!done && ticks < 20) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      ticks++;
    }
    expect(ticks).toBe(20);
    expect(done).toBe(false);
    await long;
    // GARCH(5,5) on 40,000 returns: seconds alone, many more on a loaded machine.
  }, 120_000);

  it("refuses fits beyond its queue with a 503, and still fits those it took", async () => {
    fitter = createFitter({ maxQueued: 2 });
    const request = { returns: returns(3000), options: { p: 2, q: 2 }, horizon: 1 };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => fitter!.fit(request)));
    // One on the thread, two waiting; the rest refused at once.
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
    ]);
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({
      code: "GARCH_BUSY",
      statusCode: 503,
      message: "2 GARCH fits are already waiting for this server: retry later",
    });
  });

  it("stops a fit past its deadline, queued or running, with a 503, and fits the next", async () => {
    // Long enough for the thread to start again after the aborted fits, short of what they take
    // (200,000 returns, GARCH(5,5) with skewed t errors: many seconds on any machine; 40,000
    // took under 3 s once the search's nested models stopped running every start).
    fitter = createFitter({ deadlineMs: 3000 });
    const long = {
      returns: returns(200_000),
      options: { p: 5, q: 5, dist: "skewt" as const },
      horizon: 1,
    };
    const [running, queued] = await Promise.allSettled([fitter.fit(long), fitter.fit(long)]);
    for (const result of [running, queued]) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: "GARCH_TIMEOUT",
        statusCode: 503,
        message: "the fit did not finish within 3 s of its arrival: retry later",
      });
    }
    const next = await fitter.fit({ returns: returns(300), options: { p: 1, q: 1 }, horizon: 1 });
    expect(next.path.variance).toHaveLength(1);
  });

  it("drops the fits of callers that have gone, and keeps fitting for the rest", async () => {
    fitter = createFitter();
    const long = { returns: returns(10_000), options: { p: 5, q: 5 }, horizon: 1 };
    const gone = [new AbortController(), new AbortController()];
    const dropped = gone.map((caller) => fitter!.fit(long, caller.signal));
    const kept = fitter.fit({ returns: returns(300), options: { p: 1, q: 1 }, horizon: 2 });
    for (const caller of gone) caller.abort();
    for (const fit of dropped) {
      await expect(fit).rejects.toBeInstanceOf(CallerGoneError);
      await expect(fit).rejects.toMatchObject({ statusCode: 499, cause: { name: "AbortError" } });
    }
    expect((await kept).path.variance).toHaveLength(2);
  });
});
