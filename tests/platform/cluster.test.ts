/**
 * `pnpm start` with several serving processes (`MLOPS_WORKERS`), as real processes on loopback:
 * the primary serves and forks the rest, all share the port, `/metrics` answers for all of them,
 * a worker that dies is replaced, and a graceful stop flushes every process's prediction log.
 */
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { AbStatsResponseSchema, PredictResponseSchema } from "@mlops/contracts";
import { describe, expect, it } from "vitest";
import { call, START, start } from "./process.js";
import { scratchSuite } from "./scratch.js";

const suite = scratchSuite("mlops-cluster-");

const row = [0.5, -1.2, 0.3, 1.1, -0.4];
/** The command lines of a process's children (gone meanwhile: left out). */
function childrenOf(pid: number): { pid: string; cmdline: string }[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
  return children.flatMap((child) => {
    try {
      return [{ pid: child, cmdline: readFileSync(`/proc/${child}/cmdline`, "utf8") }];
    } catch {
      return [];
    }
  });
}

/**
 * Whether process `pid` still runs (or is stopped): a killed child of a primary that has exited
 * is gone, or a zombie until whoever inherited it reaps it.
 */
function running(pid: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The serving workers among a process's children (others: finished tools). */
const workersOf = (pid: number): string[] =>
  childrenOf(pid)
    .filter((c) => c.cmdline.includes("cluster-worker.js"))
    .map((c) => c.pid);

/** Sum of a counter's samples in a Prometheus exposition. */
function counterSum(text: string, name: string): number {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("pnpm start with MLOPS_WORKERS=2", () => {
  it("shares the port, merges metrics, replaces a dead worker and flushes every log on stop", async () => {
    // Records reach the store only through the graceful stop's final flush.
    const env = { MLOPS_WORKERS: "2", MLOPS_LOG_FLUSH_MS: "600000" };
    const server = await start(START, suite.dir, env);
    suite.running.push(server);
    expect(server.stdout).toMatch(/with 2 processes/);
    // Compiled JavaScript on plain node: no tsx, no esbuild service, no TypeScript anywhere.
    for (const { cmdline } of childrenOf(server.child.pid!)) {
      expect(cmdline).not.toMatch(/tsx|esbuild|\.ts\b/);
    }
    // Workers that ask the primary while starting (the dashboard's first sample) get answers.
    expect(server.stdout + server.stderr).not.toMatch(/did not answer/);
    const pid = server.child.pid!;
    // Two processes: the primary, which serves, and one worker.
    expect(workersOf(pid)).toHaveLength(1);

    // A worker killed outright is replaced; the port keeps answering.
    const [victim] = workersOf(pid);
    process.kill(Number(victim), "SIGKILL");
    await until("a replacement", () => /starting a replacement/.test(server.stderr));
    await until("the worker again", () => {
      const now = workersOf(pid);
      return now.length === 1 && !now.includes(victim!);
    });

    // Concurrent requests open several connections, which the kernel deals out to both.
    const n = 60;
    expect(await predictMany(server.url, n, "u")).toBe(n);

    // Whichever process answers the scrape, it counts every process's predictions.
    for (let scrape = 0; scrape < 4; scrape++) {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(counterSum(text, "prediction_requests_total")).toBe(n);
    }

    expect(await server.stop("SIGTERM")).toBe(0);

    // One process on the same store: every prediction was flushed by the worker that served it.
    const again = await start(START, suite.dir, { MLOPS_WORKERS: "1" });
    suite.running.push(again);
    expect(await loggedCount(again.url)).toBe(n);
    expect(await again.stop("SIGTERM")).toBe(0);
  });

  it("drains and flushes every worker when the stop signal reaches the whole process group", async () => {
    // systemd (KillMode=control-group) and `kill -- -<pgid>` signal the workers as well as the
    // primary, which also asks each worker to stop: one request, not a second signal that would
    // force the stop and drop the log.
    const env = { MLOPS_WORKERS: "2", MLOPS_LOG_FLUSH_MS: "600000" };
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const server = await start(START, suite.dir, env, { processGroup: true });
      suite.running.push(server);
      const before = await loggedCount(server.url);
      const n = 40;
      expect(await predictMany(server.url, n, "g")).toBe(n);
      expect(await server.stop(signal), server.stderr).toBe(0);
      expect(server.stderr).not.toMatch(/second SIG/);
      const again = await start(START, suite.dir, { MLOPS_WORKERS: "1" });
      suite.running.push(again);
      expect(await loggedCount(again.url)).toBe(before + n);
      expect(await again.stop("SIGTERM")).toBe(0);
    }
  });

  it("forces the stop on a second signal when a worker does not drain", async () => {
    const server = await start(START, suite.dir, { MLOPS_WORKERS: "3" });
    suite.running.push(server);
    const pid = server.child.pid!;
    expect(workersOf(pid)).toHaveLength(2);
    // A stopped worker never reads the primary's request: the first signal cannot end it.
    const [frozen] = workersOf(pid);
    process.kill(Number(frozen), "SIGSTOP");
    const exited = new Promise<number | null>((resolve) => server.child.once("exit", resolve));
    server.child.kill("SIGTERM");
    await until("the other worker's exit", () => workersOf(pid).length === 1);
    // The primary has drained itself by now, and waits for the frozen worker.
    await new Promise((r) => setTimeout(r, 500));
    expect(server.child.exitCode).toBeNull();
    server.child.kill("SIGTERM");
    // Forced: the worker is killed, not drained, and the stop says so.
    expect(await exited).toBe(1);
    await until("the frozen worker's end", () => !running(frozen!), 5000);
  });

  it("stops the machine, failed, once workers keep dying", async () => {
    const server = await start(START, suite.dir, { MLOPS_WORKERS: "2" });
    suite.running.push(server);
    const pid = server.child.pid!;
    const exited = new Promise<number | null>((resolve) => server.child.once("exit", resolve));
    // Five replacements a minute are allowed; the sixth death ends the machine.
    const killed: string[] = [];
    for (let death = 1; death <= 6; death++) {
      await until(`worker ${death}`, () => {
        const [worker] = workersOf(pid);
        return worker !== undefined && !killed.includes(worker);
      });
      const [worker] = workersOf(pid);
      killed.push(worker!);
      process.kill(Number(worker), "SIGKILL");
    }
    expect(await exited).toBe(1);
    expect(server.stderr).toMatch(/exited \(signal SIGKILL\); too many restarts/);
  });

  it("refuses a port another machine's processes hold, though they share it among themselves", async () => {
    const first = await start(START, suite.dir, { MLOPS_WORKERS: "2" });
    suite.running.push(first);
    const port = new URL(first.url).port;
    // The same port again, SO_REUSEPORT on both sides: refused, not shared with the first.
    await expect(start(START, suite.dir, { MLOPS_WORKERS: "2", PORT: port })).rejects.toThrow(
      new RegExp(
        `exited with 1 before ready:[^]*cannot listen on HOST=127.0.0.1 PORT=${port}: [^]*EADDRINUSE[^]*:${port}`,
      ),
    );
    expect(await first.stop("SIGTERM")).toBe(0);
  });

  it("names HOST and PORT when the address is not this machine's", async () => {
    // TEST-NET-1 (RFC 5737): no interface holds it, so the bind fails here, sending nothing.
    await expect(
      start(START, suite.dir, { MLOPS_WORKERS: "2", HOST: "192.0.2.1", PORT: "18099" }),
    ).rejects.toThrow(
      /exited with 1 before ready:[\s\S]*cannot listen on HOST=192\.0\.2\.1 PORT=18099: [\s\S]*EADDRNOTAVAIL/,
    );
  });

  it("holds the per-client rate limit for the machine, however connections are dealt out", async () => {
    const limit = 10;
    const server = await start(START, suite.dir, {
      MLOPS_WORKERS: "2",
      MLOPS_RATE_LIMIT_PER_MINUTE: String(limit),
    });
    suite.running.push(server);
    // Each request on a connection of its own: the kernel deals them out to both processes,
    // which would let twice the limit through if each counted alone.
    const statuses: number[] = [];
    for (let i = 0; i < 3 * limit; i++) statuses.push(await predictOnNewConnection(server.url));
    expect(statuses.filter((s) => s === 200)).toHaveLength(limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * limit);
    expect(await server.stop("SIGTERM")).toBe(0);
  });
});

/** `n` concurrent predictions for users `<prefix>-<i>`; resolves with how many answered 200. */
async function predictMany(url: string, n: number, prefix: string): Promise<number> {
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      call(url, "/predict", PredictResponseSchema, { features: row, user_id: `${prefix}-${i}` }),
    ),
  );
  return answers.filter((a) => a.status === 200).length;
}

/** Predictions in the store's log, all arms, as the A/B statistics count them. */
async function loggedCount(url: string): Promise<number> {
  const stats = await call(url, "/ab-test/stats", AbStatsResponseSchema);
  return stats.body.variants.reduce((sum, v) => sum + v.count, 0);
}

/** POSTs a prediction over a fresh connection (no keep-alive) and resolves with the status. */
function predictOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/predict`,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", connection: "close" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ features: row }));
  });
}
